{{/* The chart name, cut to 63 characters (a DNS label). */}}
{{- define "snmptrap-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The name of the objects: release-chart, unless the release name already holds the chart's. */}}
{{- define "snmptrap-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "snmptrap-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "snmptrap-exporter.labels" -}}
helm.sh/chart: {{ include "snmptrap-exporter.chart" . }}
{{ include "snmptrap-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "snmptrap-exporter.name" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels that select the pods. */}}
{{- define "snmptrap-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "snmptrap-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The ServiceAccount the pods run as. */}}
{{- define "snmptrap-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "snmptrap-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image: registry/repository, then @digest or :tag (appVersion by default). */}}
{{- define "snmptrap-exporter.image" -}}
{{- $repo := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repo = printf "%s/%s" .Values.image.registry .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repo .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The config values are checked once here: `auth` belongs under .Values.auth
(it goes into the Secret), and an existing Secret replaces both.
*/}}
{{- define "snmptrap-exporter.checkConfig" -}}
{{- if hasKey .Values.config "auth" }}
{{- fail "config.auth: put the auth section under the top-level `auth:` value: it goes into a Secret, config into a ConfigMap" }}
{{- end }}
{{- if and .Values.existingSecret.name (or .Values.config .Values.auth) }}
{{- fail "existingSecret.name holds the whole configuration file: leave config and auth empty" }}
{{- end }}
{{- end }}

{{/* The ConfigMap's file: the config values, or a comment when there are none. */}}
{{- define "snmptrap-exporter.configFile" -}}
{{- if .Values.config }}
{{- toYaml .Values.config }}
{{- else }}
# no settings besides auth
{{- end }}
{{- end }}

{{/* The Secret's file: the auth section. */}}
{{- define "snmptrap-exporter.authFile" -}}
{{- dict "auth" .Values.auth | toYaml }}
{{- end }}

{{/* Where the exporter reads its configuration file; empty without one. */}}
{{- define "snmptrap-exporter.configPath" -}}
{{- if .Values.existingSecret.name }}
{{- printf "/etc/snmptrap_exporter/secret/%s" .Values.existingSecret.key }}
{{- else if .Values.auth }}
{{- print "/run/snmptrap_exporter/config.yml" }}
{{- else if .Values.config }}
{{- print "/etc/snmptrap_exporter/config/config.yml" }}
{{- end }}
{{- end }}

{{/* The pod volumes, as a YAML list; empty when there are none. */}}
{{- define "snmptrap-exporter.volumes" -}}
{{- if not .Values.persistence.enabled }}
- name: storage
  emptyDir: {}
{{- end }}
{{- if .Values.existingSecret.name }}
- name: config-secret
  secret:
    secretName: {{ .Values.existingSecret.name }}
    items:
      - key: {{ .Values.existingSecret.key }}
        path: {{ .Values.existingSecret.key }}
{{- else }}
{{- if or .Values.config .Values.auth }}
- name: config
  configMap:
    name: {{ include "snmptrap-exporter.fullname" . }}
{{- end }}
{{- if .Values.auth }}
- name: auth
  secret:
    secretName: {{ include "snmptrap-exporter.fullname" . }}
- name: joined-config
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
{{- end }}
{{- end }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}
