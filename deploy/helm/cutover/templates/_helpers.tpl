{{- define "cutover.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "cutover.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (worker, api, setup). */}}
{{- define "cutover.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "cutover.serviceAccountName" -}}
{{- default (include "cutover.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "cutover.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}

{{/* Whether the API has static tokens (from a Secret or inline); without them it needs OIDC. */}}
{{- define "cutover.hasTokens" -}}
{{- if or .Values.api.tokens.existingSecret .Values.api.tokens.inline }}true{{ end -}}
{{- end -}}

{{- define "cutover.tokensSecretName" -}}
{{- default (printf "%s-tokens" (include "cutover.fullname" .)) .Values.api.tokens.existingSecret -}}
{{- end -}}

{{/* Temporal connection settings, the same for the worker, the API and the setup job. */}}
{{- define "cutover.temporalEnv" -}}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- if .Values.temporal.apiKey.existingSecret }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.existingSecret }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- if or .Values.temporal.tls.enabled .Values.temporal.apiKey.existingSecret }}
- name: TEMPORAL_TLS
  value: "true"
{{- end }}
{{- if .Values.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ .Values.temporal.tls.serverName | quote }}
{{- end }}
{{- if .Values.temporal.tls.existingSecret }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/cutover/temporal-tls/tls.crt
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/cutover/temporal-tls/tls.key
{{- if .Values.temporal.tls.serverCa }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/cutover/temporal-tls/ca.crt
{{- end }}
{{- end }}
- name: CUTOVER_MODE
  value: {{ .Values.mode | quote }}
- name: AWS_REGION
  value: {{ .Values.aws.region | quote }}
{{- end -}}

{{- define "cutover.temporalTlsVolumeMount" -}}
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: /etc/cutover/temporal-tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "cutover.temporalTlsVolume" -}}
{{- if .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
{{- end }}
{{- end -}}
