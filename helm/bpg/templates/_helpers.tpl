{{- define "bpg.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "bpg.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "bpg.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "bpg.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{- define "bpg.secret" -}}{{ include "bpg.fullname" . }}-secrets{{- end -}}
{{- define "bpg.dbSecret" -}}{{ .Values.database.existingSecret | default (include "bpg.secret" .) }}{{- end -}}
{{- define "bpg.s3Secret" -}}{{ .Values.s3.existingSecret | default (include "bpg.secret" .) }}{{- end -}}
{{- define "bpg.htpasswdSecret" -}}{{ .Values.auth.htpasswdExistingSecret | default (include "bpg.secret" .) }}{{- end -}}
{{- define "bpg.queueSecret" -}}{{ .Values.auth.queueTokenExistingSecret | default (include "bpg.secret" .) }}{{- end -}}

{{- define "bpg.csv" -}}{{ join ", " . }}{{- end -}}

{{/* a list of CIDRs as nginx geo entries: "CIDR 1;" each */}}
{{- define "bpg.geo" -}}{{ range . }}{{ . }} 1; {{ end }}{{- end -}}

{{/* the volumes every bpg container mounts: config, secrets (projected), run dir, metrics */}}
{{- define "bpg.volumes" -}}
- name: config
  configMap:
    name: {{ include "bpg.fullname" . }}-config
- name: secrets
  projected:
    sources:
      - secret:
          name: {{ include "bpg.dbSecret" . }}
          items: [{key: password, path: db-password}]
      {{- if or .Values.s3.secretAccessKey .Values.s3.existingSecret }}
      - secret:
          name: {{ include "bpg.s3Secret" . }}
          items: [{key: secretAccessKey, path: s3-secret-access-key}]
      {{- end }}
      {{- if or .Values.auth.queueTokenSecrets .Values.auth.queueTokenExistingSecret }}
      - secret:
          name: {{ include "bpg.queueSecret" . }}
          items: [{key: secrets, path: queue-token-secrets}]
      {{- end }}
      {{- range .Values.clusters }}
      - secret:
          name: {{ .existingSecret | default (printf "%s-cluster-%s" (include "bpg.fullname" $) .id) }}
          items: [{key: token, path: {{ printf "clusters/%s/token" .id }}}, {key: ca.crt, path: {{ printf "clusters/%s/ca.crt" .id }}}]
      {{- end }}
- name: run
  emptyDir: {}
- name: shm
  emptyDir: {medium: Memory, sizeLimit: 16Mi}
# uploads spool here ([s3] upload_spool_dir defaults to /var/tmp): the root is read-only
- name: spool
  emptyDir: {}
{{- end -}}
