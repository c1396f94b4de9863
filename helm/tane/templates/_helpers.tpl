{{- define "tane.labels" -}}
app.kubernetes.io/part-of: tane
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "tane.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{- define "tane.internalTokenSecret" -}}
{{- if .Values.internalToken.existingSecret -}}
{{ .Values.internalToken.existingSecret }}
{{- else -}}
{{ .Release.Name }}-internal-token
{{- end -}}
{{- end -}}

{{/* Environment every Tane process shares. */}}
{{- define "tane.commonEnv" -}}
- name: TANE_REDIS_ADDR
  value: {{ .Values.redis.addr | quote }}
- name: TANE_REDIS_POOL_SIZE
  value: {{ .Values.redis.poolSize | quote }}
- name: TANE_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: TANE_SHARDS
  value: {{ .Values.shards | quote }}
- name: TANE_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: TANE_INTERNAL_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "tane.internalTokenSecret" . }}
      key: internal-token
{{- end -}}
