{{/*
Names and labels shared by every template.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "db-access-bot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, prefixed unless it already contains the chart name. */}}
{{- define "db-access-bot.fullname" -}}
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

{{/* Chart label value. */}}
{{- define "db-access-bot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels selecting the bot pods (never change them: Deployment selectors are immutable). */}}
{{- define "db-access-bot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "db-access-bot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels. */}}
{{- define "db-access-bot.labels" -}}
helm.sh/chart: {{ include "db-access-bot.chart" . }}
{{ include "db-access-bot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* ServiceAccount the bot runs as. */}}
{{- define "db-access-bot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "db-access-bot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Secret the bot reads its tokens and DATABASE_URL from. */}}
{{- define "db-access-bot.secretName" -}}
{{- default (include "db-access-bot.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* Secret the migration Job reads DATABASE_URL from (see secret.yaml for why it differs). */}}
{{- define "db-access-bot.migrationSecretName" -}}
{{- if .Values.existingSecret }}
{{- .Values.existingSecret }}
{{- else }}
{{- printf "%s-migration" (include "db-access-bot.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Image reference: repository@digest when a digest is set, else repository:tag. */}}
{{- define "db-access-bot.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the migration hook Job. */}}
{{- define "db-access-bot.migrationJobName" -}}
{{- printf "%s-migrate" (include "db-access-bot.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of one alert of the PrometheusRule: its severity, then prometheusRule.alertLabels. */}}
{{- define "db-access-bot.alertLabels" -}}
severity: {{ .alert.severity | quote }}
{{- with .root.Values.prometheusRule.alertLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}
