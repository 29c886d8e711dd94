{{- define "onlyoffice-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "onlyoffice-gateway.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "onlyoffice-gateway.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "onlyoffice-gateway.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "onlyoffice-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "onlyoffice-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "onlyoffice-gateway.labels" -}}
{{ include "onlyoffice-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The config file: values.config with state.redis_url from values.redis.url. */}}
{{- define "onlyoffice-gateway.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $_ := set $config "state" (dict "redis_url" (required "redis.url is required: replicas share their state in Redis" .Values.redis.url)) -}}
{{- toYaml $config -}}
{{- end -}}
