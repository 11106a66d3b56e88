{{/* Labels every object carries. */}}
{{- define "blog.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: blog-platform
{{ include "blog.selectorLabels" . }}
{{- end -}}

{{/*
Labels that select a component's pods (Rollout selector, Services). No version here: the
selector is immutable, and a label that changes with every chart release would also change
the pod template, so a chart-only change would start a release.
*/}}
{{- define "blog.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The gateway listener an HTTPRoute attaches to. */}}
{{- define "blog.parentRefs" -}}
parentRefs:
  - name: {{ .Values.gateway.name }}
    namespace: {{ .Values.gateway.namespace }}
{{- end -}}

{{/*
The standard checks as a Weir analysis: both AnalysisTemplates, for the Service named
.service, in the Rollout's own namespace.
*/}}
{{- define "blog.analysis" -}}
templates:
  - templateName: error-rate
  - templateName: latency
args:
  - name: service
    value: {{ .service }}
  - name: namespace
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
{{- end -}}

{{/* A component's pod template: one container serving HTTP on .port. */}}
{{- define "blog.podTemplate" -}}
metadata:
  labels:
    {{- include "blog.selectorLabels" . | nindent 4 }}
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: {{ .name }}
      image: {{ printf "%s:%s" .values.image.repository .values.image.tag }}
      ports:
        - name: http
          containerPort: {{ .values.port }}
          # Spelled out: a port list is keyed by containerPort and protocol, and Argo CD's
          # client-side diff of a Rollout without it fails (see docs/gitops.md).
          protocol: TCP
      {{- with .values.env }}
      env:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      readinessProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: 5
      resources:
        {{- toYaml .values.resources | nindent 8 }}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: [ALL]
{{- end -}}

{{/* A ClusterIP Service named .service selecting the component's pods; Weir adds the revision to its selector. */}}
{{- define "blog.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .service }}
  labels:
    {{- include "blog.labels" . | nindent 4 }}
spec:
  selector:
    {{- include "blog.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: 80
      targetPort: http
{{- end -}}
