{{/* Labels on every object: deploy/base's (part-of) plus Helm's own. */}}
{{- define "tidal.labels" -}}
app.kubernetes.io/part-of: tidal
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tidal.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The profiles ConfigMap's data: values.profiles, or the chart's copies of profiles/*.yaml. */}}
{{- define "tidal.profiles" -}}
{{- if .Values.profiles -}}
{{ toYaml .Values.profiles }}
{{- else -}}
{{- range $path, $_ := .Files.Glob "files/profiles/*.yaml" }}
{{ base $path }}: |
{{ $.Files.Get $path | indent 2 }}
{{- end }}
{{- end -}}
{{- end -}}

{{- define "tidal.config" -}}
{{- .Values.tidalConfig | default (.Files.Get "files/tidal-config.yaml") -}}
{{- end -}}

{{/*
The second scheduler's KubeSchedulerConfiguration: files/second-scheduler-config.yaml (= `tidal config
scheduler --mode second-scheduler`, written for namespace tidal-system and port 8443) for this release's
namespace and extender port.
*/}}
{{- define "tidal.secondSchedulerConfig" -}}
{{- .Files.Get "files/second-scheduler-config.yaml" | replace "tidal-system" .Release.Namespace | replace ".svc:8443/" (printf ".svc:%v/" .Values.extender.port) -}}
{{- end -}}
