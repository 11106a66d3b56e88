package convert

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// argoRollout translates an Argo Rollouts Rollout.
func (c *converter) argoRollout(src *source, n notes) {
	ro := &weirv1.Rollout{TypeMeta: typeMeta("Rollout"), ObjectMeta: c.meta(src, n)}
	spec := &ro.Spec
	spec.Replicas = src.optional("spec.replicas")
	decode(src.take("spec.selector"), &spec.Selector)
	decode(src.take("spec.template"), &spec.Template)
	if src.has("spec.workloadRef") {
		c.workloadRef(src, n, ro)
	}
	if v, ok := src.integer("spec.minReadySeconds"); ok {
		spec.MinReadySeconds = v
	}
	spec.RevisionHistoryLimit = src.optional("spec.revisionHistoryLimit")
	spec.ProgressDeadlineSeconds = src.optional("spec.progressDeadlineSeconds")
	if v, ok := src.boolean("spec.progressDeadlineAbort"); ok {
		spec.ProgressDeadlineAbort = v
	}
	if v, ok := src.boolean("spec.paused"); ok && v {
		n.add(Dropped, "spec.paused", "a pause is a request in Weir's status, never in the spec (Git would fight it): kubectl weir pause %s", ro.Name)
	}
	switch {
	case src.has("spec.strategy.canary"):
		spec.Strategy.Canary = c.argoCanary(src, n, "spec.strategy.canary")
	case src.has("spec.strategy.blueGreen"):
		spec.Strategy.BlueGreen = c.argoBlueGreen(src, n, "spec.strategy.blueGreen")
	default:
		n.add(Decision, "spec.strategy", "no canary or blueGreen strategy: a canary of setWeight 20, 50 and a pause until promoted was written")
		spec.Strategy.Canary = &weirv1.CanaryStrategy{StableService: ro.Name + "-stable", CanaryService: ro.Name + "-canary",
			Steps: []weirv1.CanaryStep{{SetWeight: ptr.To[int32](20)}, {SetWeight: ptr.To[int32](50)}, {Pause: &weirv1.RolloutPause{}}}}
	}
	n.leftovers(src, "apiVersion", "kind")
	c.out = append(c.out, ro)
}

// workloadRef carries the reference over: Weir releases the Deployment's pod template and
// scales the Deployment down as the Rollout's pods become available.
func (c *converter) workloadRef(src *source, n notes, ro *weirv1.Rollout) {
	ref := &weirv1.WorkloadRef{Name: src.str("spec.workloadRef.name")}
	src.at("spec.workloadRef.apiVersion")
	if kind := src.str("spec.workloadRef.kind"); kind != "" && kind != "Deployment" {
		n.add(Decision, "spec.workloadRef.kind", "Weir takes a pod template from a Deployment only, not a %s: copy its template into spec.template", kind)
	}
	switch down := src.str("spec.workloadRef.scaleDown"); down {
	case "never":
		ref.ScaleDown = weirv1.ScaleDownNever
	case "onsuccess":
		n.add(Translated, "spec.workloadRef.scaleDown", "onsuccess is Progressively in Weir: the Deployment goes down as the Rollout's pods become available, never below what keeps the app whole")
	}
	ro.Spec.WorkloadRef = ref
	if ro.Spec.Selector == nil {
		if d := c.byKind["Deployment/"+ref.Name]; d != nil {
			decode(lookup(d, "spec.selector"), &ro.Spec.Selector)
			n.add(Translated, "spec.workloadRef", "the Rollout's selector is Deployment %s's (Weir asks for one)", ref.Name)
		} else {
			n.add(Decision, "spec.selector", "Weir asks for a selector with a workloadRef: copy Deployment %s's spec.selector (it isn't among the inputs)", ref.Name)
		}
	}
	n.add(Decision, "spec.workloadRef", "Deployment %s stays: remove its replicas from Git (Weir scales it through its scale subresource, as an HPA would), and delete it once the Rollout is Healthy", ref.Name)
}

func (c *converter) argoCanary(src *source, n notes, at string) *weirv1.CanaryStrategy {
	can := &weirv1.CanaryStrategy{StableService: src.str(at + ".stableService"), CanaryService: src.str(at + ".canaryService")}
	if can.StableService == "" || can.CanaryService == "" {
		name := c.name(src)
		can.StableService, can.CanaryService = name+"-stable", name+"-canary"
		n.add(Decision, at, "Weir needs a stable and a canary Service: Services %s and %s are written, selecting the pod template's labels", can.StableService, can.CanaryService)
		c.services(src, can.StableService, can.CanaryService)
	}
	can.MaxSurge = intOrString(src, at+".maxSurge")
	can.MaxUnavailable = intOrString(src, at+".maxUnavailable")
	can.ScaleDownDelaySeconds = src.optional(at + ".scaleDownDelaySeconds")
	can.AbortScaleDownDelaySeconds = src.optional(at + ".abortScaleDownDelaySeconds")
	if src.has(at + ".trafficRouting") {
		can.TrafficRouting = c.argoRouting(src, n, at+".trafficRouting", can.StableService, can.CanaryService)
	}
	for i := range src.list(at + ".steps") {
		if step, ok := c.argoStep(src, n, fmt.Sprintf("%s.steps[%d]", at, i)); ok {
			can.Steps = append(can.Steps, step)
		}
	}
	if src.has(at + ".analysis") {
		can.Analysis = &weirv1.BackgroundAnalysis{RolloutAnalysis: c.argoAnalysis(src, n, at+".analysis")}
		can.Analysis.StartingStep = src.optional(at + ".analysis.startingStep")
	}
	return can
}

func (c *converter) argoBlueGreen(src *source, n notes, at string) *weirv1.BlueGreenStrategy {
	bg := &weirv1.BlueGreenStrategy{ActiveService: src.str(at + ".activeService"), PreviewService: src.str(at + ".previewService")}
	if bg.PreviewService == "" {
		bg.PreviewService = bg.ActiveService + "-preview"
		n.add(Decision, at+".previewService", "Weir's blue-green needs a preview Service: Service %s is written", bg.PreviewService)
		c.services(src, bg.PreviewService)
	}
	bg.PreviewReplicaCount = src.optional(at + ".previewReplicaCount")
	bg.AutoPromotionEnabled = src.flag(at + ".autoPromotionEnabled")
	if v, ok := src.integer(at + ".autoPromotionSeconds"); ok {
		bg.AutoPromotionSeconds = v
	}
	bg.ScaleDownDelaySeconds = src.optional(at + ".scaleDownDelaySeconds")
	bg.AbortScaleDownDelaySeconds = src.optional(at + ".abortScaleDownDelaySeconds")
	if src.has(at + ".prePromotionAnalysis") {
		bg.PrePromotionAnalysis = ptr.To(c.argoAnalysis(src, n, at+".prePromotionAnalysis"))
	}
	if src.has(at + ".postPromotionAnalysis") {
		bg.PostPromotionAnalysis = ptr.To(c.argoAnalysis(src, n, at+".postPromotionAnalysis"))
	}
	return bg
}

// argoStep translates one canary step; false when Weir has no such step.
func (c *converter) argoStep(src *source, n notes, at string) (weirv1.CanaryStep, bool) {
	var step weirv1.CanaryStep
	switch {
	case src.has(at + ".setWeight"):
		v, _ := src.integer(at + ".setWeight")
		step.SetWeight = ptr.To(v)
	case src.has(at + ".pause"):
		step.Pause = &weirv1.RolloutPause{}
		if len(src.keys(at+".pause")) == 0 {
			src.at(at + ".pause") // pause: {}
		}
		if d := src.at(at + ".pause.duration"); d != nil {
			s := fmt.Sprint(d)
			if f, ok := d.(float64); ok {
				s = fmt.Sprint(int64(f))
			}
			step.Pause.Duration = ptr.To(weirv1.PauseDuration(s))
		}
	case src.has(at + ".analysis"):
		step.Analysis = ptr.To(c.argoAnalysis(src, n, at+".analysis"))
	case src.has(at + ".setCanaryScale"):
		s := &weirv1.SetCanaryScale{}
		s.Replicas = src.optional(at + ".setCanaryScale.replicas")
		s.Weight = src.optional(at + ".setCanaryScale.weight")
		if v, ok := src.boolean(at + ".setCanaryScale.matchTrafficWeight"); ok {
			s.MatchTrafficWeight = v
		}
		step.SetCanaryScale = s
	case src.has(at + ".setHeaderRoute"):
		h := &weirv1.SetHeaderRoute{Name: src.str(at + ".setHeaderRoute.name")}
		for i := range src.list(at + ".setHeaderRoute.match") {
			m := fmt.Sprintf("%s.setHeaderRoute.match[%d]", at, i)
			match := weirv1.HeaderMatch{Name: src.str(m + ".headerName"), Type: "Exact"}
			switch {
			case src.has(m + ".headerValue.exact"):
				match.Value = src.str(m + ".headerValue.exact")
			case src.has(m + ".headerValue.regex"):
				match.Type, match.Value = "RegularExpression", src.str(m+".headerValue.regex")
			case src.has(m + ".headerValue.prefix"):
				match.Type, match.Value = "RegularExpression", "^"+regexpQuote(src.str(m+".headerValue.prefix"))
				n.add(Translated, m+".headerValue.prefix", "Gateway API has no prefix match: written as the regular expression %q", match.Value)
			}
			h.Match = append(h.Match, match)
		}
		step.SetHeaderRoute = h
	case src.has(at + ".setMirrorRoute"):
		mr := &weirv1.SetMirrorRoute{Name: src.str(at + ".setMirrorRoute.name")}
		if v, ok := src.integer(at + ".setMirrorRoute.percentage"); ok {
			mr.Percent = v
			n.add(Translated, at+".setMirrorRoute.percentage", "is Weir's setMirrorRoute.percent")
		}
		if src.list(at+".setMirrorRoute.match") > 0 {
			n.add(Decision, at+".setMirrorRoute.match", "Weir mirrors a share of the requests the route's rule matches; its own match conditions are left out: mirror through a rule of the route that matches them")
			src.at(at + ".setMirrorRoute.match")
		}
		step.SetMirrorRoute = mr
	default:
		for _, kind := range src.keys(at) {
			n.add(Dropped, at+"."+kind, "Weir has no %s step; the step is left out", kind)
			src.at(at + "." + kind)
		}
		return step, false
	}
	return step, true
}

// argoAnalysis translates an analysis reference: templates and args.
func (c *converter) argoAnalysis(src *source, n notes, at string) weirv1.RolloutAnalysis {
	var a weirv1.RolloutAnalysis
	for i := range src.list(at + ".templates") {
		t := fmt.Sprintf("%s.templates[%d]", at, i)
		ref := weirv1.AnalysisTemplateRef{TemplateName: src.str(t + ".templateName")}
		if v, ok := src.boolean(t + ".clusterScope"); ok {
			ref.ClusterScope = v
		}
		a.Templates = append(a.Templates, ref)
	}
	for i := range src.list(at + ".args") {
		arg := fmt.Sprintf("%s.args[%d]", at, i)
		out := weirv1.AnalysisRunArgument{Name: src.str(arg + ".name")}
		switch {
		case src.has(arg + ".value"):
			out.Value = ptr.To(src.str(arg + ".value"))
		case src.has(arg + ".valueFrom.podTemplateHashValue"):
			out.ValueFrom = &weirv1.ArgumentValueFrom{PodTemplateHashValue: ptr.To(src.str(arg + ".valueFrom.podTemplateHashValue"))}
		case src.has(arg + ".valueFrom.fieldRef.fieldPath"):
			out.ValueFrom = &weirv1.ArgumentValueFrom{FieldRef: &weirv1.FieldRef{FieldPath: src.str(arg + ".valueFrom.fieldRef.fieldPath")}}
		}
		a.Args = append(a.Args, out)
	}
	return a
}

// meta is the output object's metadata: name, namespace, labels and annotations.
func (c *converter) meta(src *source, n notes) metav1.ObjectMeta {
	m := metav1.ObjectMeta{Name: src.str("metadata.name"), Namespace: src.str("metadata.namespace")}
	decode(src.take("metadata.labels"), &m.Labels)
	decode(src.take("metadata.annotations"), &m.Annotations)
	for _, k := range src.keys("metadata") {
		switch k {
		case "name", "namespace", "labels", "annotations":
		case "creationTimestamp", "resourceVersion", "uid", "generation", "managedFields", "selfLink":
			src.at("metadata." + k) // the cluster's, not Git's
		}
	}
	src.at("status") // the peer's status is the peer's
	return m
}

func (c *converter) name(src *source) string { return src.str("metadata.name") }

// services writes Services selecting the pod template's labels, with its container ports.
func (c *converter) services(src *source, names ...string) {
	var tmpl corev1.PodTemplateSpec
	decode(lookup(src.obj, "spec.template"), &tmpl)
	var ports []corev1.ServicePort
	for _, ctr := range tmpl.Spec.Containers {
		for _, p := range ctr.Ports {
			ports = append(ports, corev1.ServicePort{Name: p.Name, Port: p.ContainerPort, TargetPort: intstr.FromInt32(p.ContainerPort), Protocol: p.Protocol})
		}
	}
	if len(ports) == 0 {
		ports = []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}
	}
	c.out = append(c.out, newServices(src.str("metadata.namespace"), tmpl.Labels, ports, names...)...)
}

// newServices are Services of the names, each selecting the pods' labels on the ports.
func newServices(ns string, selector map[string]string, ports []corev1.ServicePort, names ...string) []any {
	var out []any
	for _, name := range names {
		out = append(out, &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec:       corev1.ServiceSpec{Selector: selector, Ports: ports}})
	}
	return out
}

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: weirv1.GroupVersion.String(), Kind: kind}
}

func intOrString(src *source, path string) *intstr.IntOrString {
	switch v := src.at(path).(type) {
	case float64:
		return ptr.To(intstr.FromInt32(int32(v)))
	case string:
		return ptr.To(intstr.FromString(v))
	}
	return nil
}

// decode copies a generic value into a typed one through JSON.
func decode(v any, into any) {
	if v == nil {
		return
	}
	raw, _ := json.Marshal(v)
	_ = json.Unmarshal(raw, into)
}

func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
