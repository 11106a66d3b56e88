{{/* Name of the chart, overridable. */}}
{{- define "weir.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's objects: "weir" for a release named weir, else <release>-weir. */}}
{{- define "weir.fullname" -}}
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

{{- define "weir.selectorLabels" -}}
app.kubernetes.io/name: {{ include "weir.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end -}}

{{- define "weir.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "weir.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: weir
{{- end -}}

{{- define "weir.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "weir.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The controller image: repository@digest when a digest is given, else repository:tag. */}}
{{- define "weir.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default (printf "v%s" .Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{/*
RBAC rules on namespaced resources, derived from config/rbac/role.yaml (generated from the
controller's kubebuilder markers) without leases: leader election only needs them in the
release namespace (leader-election-role.yaml). A test keeps the two in step.
*/}}
{{- define "weir.namespacedRules" -}}
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [""]
  resources: [services]
  verbs: [get, list, watch, patch]
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [apps]
  resources: [replicasets]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments/scale]
  verbs: [get, update]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
- apiGroups: [gateway.networking.k8s.io]
  resources: [httproutes, grpcroutes]
  verbs: [get, list, watch, patch]
- apiGroups: [rollouts.weir.dev]
  resources: [analysistemplates, releasepolicies]
  verbs: [get, list, watch]
- apiGroups: [rollouts.weir.dev]
  resources: [rollouts]
  verbs: [get, list, watch, patch]
- apiGroups: [rollouts.weir.dev]
  resources: [rollouts/finalizers]
  verbs: [update]
- apiGroups: [rollouts.weir.dev]
  resources: [analysisruns]
  verbs: [get, list, watch, create, patch, delete]
- apiGroups: [rollouts.weir.dev]
  resources: [rollouts/status, analysistemplates/status, analysisruns/status]
  verbs: [get, patch, update]
{{- end -}}

{{/* RBAC rules on Weir's cluster-scoped kind. */}}
{{- define "weir.clusterRules" -}}
- apiGroups: [rollouts.weir.dev]
  resources: [clusteranalysistemplates]
  verbs: [get, list, watch]
- apiGroups: [rollouts.weir.dev]
  resources: [clusteranalysistemplates/status]
  verbs: [get, patch, update]
{{- end -}}
