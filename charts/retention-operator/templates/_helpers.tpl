{{/* Chart name, overridable. */}}
{{- define "retention-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Resource name prefix: <release>-<chart>, or just the release name when it
already contains the chart name (so "retention-operator" does not double up).
*/}}
{{- define "retention-operator.fullname" -}}
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

{{/* chart label value: name-version. */}}
{{- define "retention-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every chart object. managed-by is Helm here: the operator's own
objects carry app.kubernetes.io/managed-by=retention-operator, and the manager's
cache is filtered on that, so chart objects must never carry it.
*/}}
{{- define "retention-operator.labels" -}}
helm.sh/chart: {{ include "retention-operator.chart" . }}
{{ include "retention-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: retention-operator
{{- end }}

{{/* Selector labels: stable (Deployment selectors are immutable). */}}
{{- define "retention-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "retention-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{/* The manager's ServiceAccount name. */}}
{{- define "retention-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "retention-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Manager image reference: digest wins over tag; tag defaults to appVersion. */}}
{{- define "retention-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Worker image: workerImage, else the manager image (it ships the worker binary). */}}
{{- define "retention-operator.workerImage" -}}
{{- default (include "retention-operator.image" .) .Values.workerImage }}
{{- end }}
