{{- define "grove.labels" -}}
app.kubernetes.io/name: grove
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "grove.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "grove.webhookClientConfig" -}}
{{- if .root.Values.webhooks.url }}
url: {{ printf "%s%s" (trimSuffix "/" .root.Values.webhooks.url) .path | quote }}
{{- else }}
service:
  name: {{ .root.Values.service.name }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: {{ .root.Values.service.port }}
{{- end }}
{{- end -}}
