{{/*
Names. Everything namespaced or cluster-scoped that the chart alone names follows grove.fullname, so two
releases never claim the same object; with release name "grove" the names are the historical ones
(grove-operator, grove-operator-config, grove-scheduler), which the operator's self-signed certificate
(Service grove-operator) relies on. The admission configurations and CRDs keep fixed names: the operator
code looks them up by name (caBundle injection), and there is one Grove per cluster (as upstream).
*/}}
{{- define "grove.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "grove.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<suffix>, the fullname shortened so the result stays a 63-character DNS label. */}}
{{- define "grove.suffixed" -}}
{{- $max := int (sub 62 (len .suffix)) -}}
{{- printf "%s-%s" (include "grove.fullname" .root | trunc $max | trimSuffix "-") .suffix -}}
{{- end -}}

{{- define "grove.operator.fullname" -}}
{{- include "grove.suffixed" (dict "root" . "suffix" "operator") -}}
{{- end -}}

{{- define "grove.scheduler.fullname" -}}
{{- include "grove.suffixed" (dict "root" . "suffix" "scheduler") -}}
{{- end -}}

{{- define "grove.configMapName" -}}
{{- include "grove.suffixed" (dict "root" . "suffix" "operator-config") -}}
{{- end -}}

{{- define "grove.operator.serviceName" -}}
{{- .Values.service.name | default (include "grove.operator.fullname" .) -}}
{{- end -}}

{{- define "grove.operator.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "grove.operator.fullname" .) -}}
{{- end -}}

{{- define "grove.scheduler.serviceAccountName" -}}
{{- .Values.scheduler.serviceAccount.name | default (include "grove.scheduler.fullname" .) -}}
{{- end -}}

{{/* The operator's leader-election Lease: config.leaderElection.resourceName, else <fullname>-operator-leader-election. */}}
{{- define "grove.operator.leaseName" -}}
{{- .Values.config.leaderElection.resourceName | default (include "grove.suffixed" (dict "root" . "suffix" "operator-leader-election")) -}}
{{- end -}}

{{/* The scheduler process names its Lease itself (grove scheduler, src/grove/operator/main.py SCHEDULER_LEASE). */}}
{{- define "grove.scheduler.leaseName" -}}
grove-scheduler-leader-election
{{- end -}}

{{- define "grove.labels" -}}
app.kubernetes.io/name: {{ include "grove.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: grove
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* Selector labels of one component (dict "root" . "component" "operator"). */}}
{{- define "grove.selectorLabels" -}}
app.kubernetes.io/name: {{ include "grove.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* repository@digest when a digest is given (it pins the content), else repository:tag. */}}
{{- define "grove.imageRef" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest -}}
{{- else if .tag -}}
{{- printf "%s:%s" .repository (toString .tag) -}}
{{- else -}}
{{- .repository -}}
{{- end -}}
{{- end -}}

{{- define "grove.image" -}}
{{- include "grove.imageRef" (dict "repository" .Values.image.repository "digest" .Values.image.digest "tag" (.Values.image.tag | default .Chart.AppVersion)) -}}
{{- end -}}

{{/* The startup waiter image. A bare repository (no tag, no digest) makes the operator append its own
version, so the waiter always matches the operator. */}}
{{- define "grove.initContainerImage" -}}
{{- include "grove.imageRef" .Values.initContainerImage -}}
{{- end -}}

{{/* Admission clientConfig: the operator Service, or in out-of-cluster development mode (webhooks.url) the URL. */}}
{{- define "grove.webhookClientConfig" -}}
{{- if .root.Values.webhooks.url -}}
url: {{ printf "%s%s" (trimSuffix "/" .root.Values.webhooks.url) .path | quote }}
{{- else -}}
service:
  name: {{ include "grove.operator.serviceName" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: {{ .root.Values.service.port }}
{{- end -}}
{{- end -}}

{{/* Refuse what cannot work: several replicas of a process without leader election would all reconcile
(or all bind pods) at once. */}}
{{- define "grove.validate" -}}
{{- if not .Values.config.leaderElection.enabled -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- fail (printf "replicaCount: %d replicas need config.leaderElection.enabled=true (every replica would reconcile at once); set replicaCount=1 or enable leader election" (int .Values.replicaCount)) -}}
{{- end -}}
{{- if and .Values.scheduler.enabled (gt (int .Values.scheduler.replicaCount) 1) -}}
{{- fail (printf "scheduler.replicaCount: %d replicas need config.leaderElection.enabled=true (every replica would bind the same pods); set scheduler.replicaCount=1 or enable leader election" (int .Values.scheduler.replicaCount)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The pod-level settings shared by both Deployments (dict "root" . "values" <component values>). */}}
{{- define "grove.podPlacement" -}}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .pullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
