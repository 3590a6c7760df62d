{{- define "small.fullname" -}}
{{- printf "%s-small" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "small.labels" -}}
app.kubernetes.io/name: small
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "small.selector" -}}
app.kubernetes.io/name: small
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
