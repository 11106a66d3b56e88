package convert

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// flaggerCanary translates a Flagger Canary: the Deployment it targets becomes the Rollout's
// pod template; Flagger's generated Services become Services the chart holds; its analysis
// becomes steps (a weight and a pause of one interval, as Flagger advances) and a background
// analysis of its metrics; an A/B test becomes setCanaryScale, a header rule and a pause.
func (c *converter) flaggerCanary(src *source, n notes) {
	name := c.name(src)
	ro := &weirv1.Rollout{TypeMeta: typeMeta("Rollout"), ObjectMeta: c.meta(src, n)}
	target := src.str("spec.targetRef.name")
	src.at("spec.targetRef.kind")
	src.at("spec.targetRef.apiVersion")
	ro.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: target}
	if d := c.byKind["Deployment/"+target]; d != nil {
		decode(lookup(d, "spec.selector"), &ro.Spec.Selector)
		if v, ok := lookup(d, "spec.replicas").(float64); ok {
			ro.Spec.Replicas = ptr.To(int32(v))
		}
		decode(lookup(d, "spec.template"), &ro.Spec.Template) // for the Services' selector and ports; not written
		n.add(Translated, "spec.targetRef", "workloadRef to Deployment %s, with its selector and replicas: Weir scales the Deployment down as the Rollout's pods become available (remove its replicas from Git, and delete it once the Rollout is Healthy)", target)
	} else {
		n.add(Decision, "spec.targetRef", "workloadRef to Deployment %s, which isn't among the inputs: copy its spec.selector and spec.replicas into the Rollout", target)
	}
	ro.Spec.ProgressDeadlineSeconds = src.optional("spec.progressDeadlineSeconds")
	if src.has("spec.autoscalerRef") {
		c.autoscaler(src, n, name)
	}
	if v, ok := src.boolean("spec.skipAnalysis"); ok && v {
		n.add(Dropped, "spec.skipAnalysis", "a release without analysis in Weir is a Rollout without analysis steps; an operator can promote --full")
	}
	svc := src.str("spec.service.name")
	if svc == "" {
		svc = target
	}
	stable, canary := svc+"-stable", svc+"-canary"
	c.flaggerServices(src, n, ro, svc, stable, canary)
	can := &weirv1.CanaryStrategy{StableService: stable, CanaryService: canary}
	ro.Spec.Strategy.Canary = can
	can.TrafficRouting = c.flaggerRoute(src, n, name, stable, canary)
	interval := src.str("spec.analysis.interval")
	if interval == "" {
		interval = "1m"
	}
	src.at("spec.provider")
	can.Steps = c.flaggerSteps(src, n, interval)
	if a := c.flaggerAnalysis(src, n, name, target, interval); a != nil {
		can.Analysis = &weirv1.BackgroundAnalysis{RolloutAnalysis: *a}
	}
	for i := range src.list("spec.analysis.webhooks") {
		c.flaggerWebhook(src, n, fmt.Sprintf("spec.analysis.webhooks[%d]", i), can)
	}
	if src.has("spec.analysis.alerts") {
		src.at("spec.analysis.alerts")
		n.add(Dropped, "spec.analysis.alerts", "Weir sends no alerts itself: alert on weir_rollout_aborts_total and the Events (docs/observability.md)")
	}
	n.leftovers(src, "apiVersion", "kind")
	c.out = append(c.out, ro)
}

// flaggerServices writes the stable and canary Services Flagger made by itself.
func (c *converter) flaggerServices(src *source, n notes, ro *weirv1.Rollout, svc, stable, canary string) {
	port, _ := src.integer("spec.service.port")
	target := intstr.FromInt32(port)
	if v := src.at("spec.service.targetPort"); v != nil {
		if f, ok := v.(float64); ok {
			target = intstr.FromInt32(int32(f))
		} else {
			target = intstr.FromString(fmt.Sprint(v))
		}
	}
	portName := src.str("spec.service.portName")
	if portName == "" {
		portName = "http"
	}
	c.out = append(c.out, newServices(ro.Namespace, ro.Spec.Template.Labels,
		[]corev1.ServicePort{{Name: portName, Port: port, TargetPort: target}}, stable, canary)...)
	n.add(Decision, "spec.service", "Flagger made Services %s, %s-primary and %s-canary itself; Weir edits Services the chart holds: %s and %s are written (remove Flagger before applying them)", svc, svc, svc, stable, canary)
}

// flaggerRoute writes the HTTPRoute: Flagger's Gateway API provider's, or one in place of a
// mesh's (whose Gateway a person names).
func (c *converter) flaggerRoute(src *source, n notes, name, stable, canary string) *weirv1.TrafficRouting {
	port, _ := src.integer("spec.service.port")
	var hosts []string
	decode(src.take("spec.service.hosts"), &hosts)
	var parents []gatewayv1.ParentReference
	for i := range src.list("spec.service.gatewayRefs") {
		g := fmt.Sprintf("spec.service.gatewayRefs[%d]", i)
		parent := gatewayv1.ParentReference{Name: gatewayv1.ObjectName(src.str(g + ".name"))}
		if ns := src.str(g + ".namespace"); ns != "" {
			parent.Namespace = ptr.To(gatewayv1.Namespace(ns))
		}
		parents = append(parents, parent)
	}
	route := newRoute(name, src.str("metadata.namespace"), port, stable, canary, hosts, parents)
	if len(parents) == 0 {
		n.add(Decision, "spec.provider", "Weir routes through Gateway API: HTTPRoute %s is written with a parentRef to Gateway %q to replace with yours", name, placeholderGateway)
	}
	if src.has("spec.service.gateways") {
		var gateways []string
		decode(src.take("spec.service.gateways"), &gateways)
		n.add(Decision, "spec.service.gateways", "the mesh's gateways %v: name their Gateway API Gateway in HTTPRoute %s's parentRefs", gateways, name)
	}
	for _, k := range []string{"timeout", "retries", "headers", "corsPolicy", "rewrite", "match", "trafficPolicy", "apex", "primary", "canary", "backends"} {
		if src.has("spec.service." + k) {
			src.at("spec.service." + k)
			n.add(Decision, "spec.service."+k, "set it on HTTPRoute %s's rule in Gateway API's terms (Weir copies every field of a rule it doesn't own)", name)
		}
	}
	c.out = append(c.out, route)
	return &weirv1.TrafficRouting{GatewayAPI: &weirv1.GatewayAPITrafficRouting{HTTPRoutes: []weirv1.RouteRef{{Name: name}}}}
}

// flaggerSteps: progressive weights, or an A/B test or blue/green run for its iterations.
func (c *converter) flaggerSteps(src *source, n notes, interval string) []weirv1.CanaryStep {
	const at = "spec.analysis"
	pauseFor := weirv1.CanaryStep{Pause: &weirv1.RolloutPause{Duration: ptr.To(weirv1.PauseDuration(interval))}}
	if iterations, ok := src.integer(at + ".iterations"); ok {
		steps := []weirv1.CanaryStep{{SetCanaryScale: &weirv1.SetCanaryScale{Weight: ptr.To[int32](100)}}}
		if matches := c.flaggerMatch(src, n); len(matches) > 0 {
			steps = append(steps, weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "ab-test", Match: matches}})
		}
		if mirror, _ := src.boolean(at + ".mirror"); mirror {
			w, ok := src.integer(at + ".mirrorWeight")
			if !ok {
				w = 100
			}
			steps = append(steps, weirv1.CanaryStep{SetMirrorRoute: &weirv1.SetMirrorRoute{Name: "mirror", Percent: w}})
		}
		total := time.Duration(iterations) * weirv1.Duration(interval).OrDefault(time.Minute)
		steps = append(steps, weirv1.CanaryStep{Pause: &weirv1.RolloutPause{Duration: ptr.To(weirv1.PauseDuration(total.String()))}})
		n.add(Translated, at+".iterations", "%d iterations of %s: the canary at full size, then a pause of %s while the analysis runs", iterations, interval, total)
		return steps
	}
	var weights []int32
	for i := range src.list(at + ".stepWeights") {
		w, _ := src.integer(fmt.Sprintf("%s.stepWeights[%d]", at, i))
		weights = append(weights, w)
	}
	if len(weights) == 0 {
		step, _ := src.integer(at + ".stepWeight")
		maxWeight, ok := src.integer(at + ".maxWeight")
		if !ok {
			maxWeight = 50
		}
		if step <= 0 {
			step = 10
			n.add(Decision, at+".stepWeight", "no stepWeight: steps of 10%% were written")
		}
		for w := step; w <= maxWeight; w += step {
			weights = append(weights, w)
		}
	}
	var steps []weirv1.CanaryStep
	for _, w := range weights {
		steps = append(steps, weirv1.CanaryStep{SetWeight: ptr.To(w)}, pauseFor)
	}
	n.add(Translated, at, "weights %v, each held for one interval (%s) as Flagger advances; then the full promotion", weights, interval)
	return steps
}

// flaggerMatch translates an A/B test's header matches (cookies and other matches can't be
// a header rule).
func (c *converter) flaggerMatch(src *source, n notes) []weirv1.HeaderMatch {
	var out []weirv1.HeaderMatch
	for i := range src.list("spec.analysis.match") {
		m := fmt.Sprintf("spec.analysis.match[%d]", i)
		for _, h := range src.keys(m + ".headers") {
			at := join(m+".headers", h)
			switch {
			case src.has(at + ".exact"):
				out = append(out, weirv1.HeaderMatch{Name: h, Type: "Exact", Value: src.str(at + ".exact")})
			case src.has(at + ".regex"):
				out = append(out, weirv1.HeaderMatch{Name: h, Type: "RegularExpression", Value: src.str(at + ".regex")})
			case src.has(at + ".prefix"):
				out = append(out, weirv1.HeaderMatch{Name: h, Type: "RegularExpression", Value: "^" + regexpQuote(src.str(at+".prefix"))})
			}
		}
	}
	return out
}

// flaggerAnalysis writes one AnalysisTemplate per Canary for its metrics (Flagger keeps the
// thresholds in the Canary, Weir in the template) and the analysis that runs it.
func (c *converter) flaggerAnalysis(src *source, n notes, name, target, interval string) *weirv1.RolloutAnalysis {
	const at = "spec.analysis"
	tmpl := &weirv1.AnalysisTemplate{TypeMeta: typeMeta("AnalysisTemplate"),
		ObjectMeta: metav1.ObjectMeta{Name: name + "-analysis", Namespace: src.str("metadata.namespace")}}
	limit := int32(0)
	if threshold, ok := src.integer(at + ".threshold"); ok && threshold > 1 {
		limit = threshold - 1
		n.add(Translated, at+".threshold", "failureLimit %d on each metric: Flagger rolls back at the %dth failed check", limit, threshold)
	}
	known := map[string]string{"target": target, "interval": interval, "namespace": ""}
	args := map[string]string{} // the arguments the queries use, with their values
	for i := range src.list(at + ".metrics") {
		m := fmt.Sprintf("%s.metrics[%d]", at, i)
		metric := weirv1.Metric{Name: src.str(m + ".name")}
		metric.Interval = weirv1.Duration(src.str(m + ".interval"))
		if metric.Interval == "" {
			metric.Interval = weirv1.Duration(interval)
		}
		if limit > 0 {
			metric.FailureLimit = ptr.To(limit)
		}
		var conds []string
		if v := src.at(m + ".thresholdRange.min"); v != nil {
			conds = append(conds, fmt.Sprintf("result >= %v", v))
		}
		if v := src.at(m + ".thresholdRange.max"); v != nil {
			conds = append(conds, fmt.Sprintf("result <= %v", v))
		}
		metric.SuccessCondition = strings.Join(conds, " && ")
		ref := src.str(m + ".templateRef.name")
		src.at(m + ".templateRef.namespace")
		mt := c.byKind["MetricTemplate/"+ref]
		if mt != nil && !c.replaced["MetricTemplate/"+ref] {
			c.metricTemplateLeftovers(mt)
		}
		c.replaced["MetricTemplate/"+ref] = true
		switch {
		case ref == "":
			n.add(Decision, m, "%s is one of Flagger's built-in metrics, which read its mesh's series: write the query for your gateway in AnalysisTemplate %s (docs/analysis.md)", metric.Name, tmpl.Name)
			continue
		case mt == nil:
			n.add(Decision, m+".templateRef", "MetricTemplate %s isn't among the inputs: its query can't be carried over", ref)
			continue
		}
		vars := map[string]string{}
		decode(src.take(m+".templateVariables"), &vars)
		query, used := flaggerQuery(fmt.Sprint(lookup(mt, "spec.query")), vars)
		for _, v := range used {
			if value, ok := known[v]; ok {
				args[v] = value
			} else {
				args[v] = vars[v]
			}
		}
		provider := fmt.Sprint(lookup(mt, "spec.provider.type"))
		if provider != "prometheus" {
			n.add(Decision, m+".templateRef", "MetricTemplate %s uses provider %s: Weir queries Prometheus, web endpoints or Jobs", ref, provider)
			continue
		}
		metric.Provider.Prometheus = &weirv1.PrometheusProvider{Query: query,
			PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: fmt.Sprint(lookup(mt, "spec.provider.address"))}}
		if lookup(mt, "spec.provider.secretRef") != nil {
			n.add(Decision, m+".templateRef", "MetricTemplate %s reads credentials from a Secret: set prometheus.auth.bearerTokenSecret or headers in %s", ref, tmpl.Name)
		}
		tmpl.Spec.Metrics = append(tmpl.Spec.Metrics, metric)
		n.add(Translated, m, "metric %s of AnalysisTemplate %s, with MetricTemplate %s's query and the condition %q", metric.Name, tmpl.Name, ref, metric.SuccessCondition)
	}
	if len(tmpl.Spec.Metrics) == 0 {
		return nil
	}
	a := &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: tmpl.Name}}}
	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		tmpl.Spec.Args = append(tmpl.Spec.Args, weirv1.Argument{Name: k})
		arg := weirv1.AnalysisRunArgument{Name: k, Value: ptr.To(args[k])}
		if k == "namespace" {
			arg = weirv1.AnalysisRunArgument{Name: k, ValueFrom: &weirv1.ArgumentValueFrom{FieldRef: &weirv1.FieldRef{FieldPath: "metadata.namespace"}}}
		}
		a.Args = append(a.Args, arg)
	}
	c.out = append(c.out, tmpl)
	return a
}

var flaggerVar = regexp.MustCompile(`\{\{\s*(variables\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// flaggerQuery turns a MetricTemplate's {{ namespace }} and {{ variables.x }} into Weir's
// {{args.namespace}} and {{args.x}}; it returns the names used.
func flaggerQuery(query string, vars map[string]string) (string, []string) {
	var used []string
	out := flaggerVar.ReplaceAllStringFunc(query, func(m string) string {
		name := flaggerVar.FindStringSubmatch(m)[2]
		used = append(used, name)
		return "{{args." + name + "}}"
	})
	return strings.TrimSpace(out), used
}

// flaggerWebhook: a confirm-promotion gate is a pause until promoted; Weir has no other hooks.
func (c *converter) flaggerWebhook(src *source, n notes, at string, can *weirv1.CanaryStrategy) {
	kind := src.str(at + ".type")
	src.at(at)
	switch kind {
	case "confirm-promotion":
		can.Steps = append(can.Steps, weirv1.CanaryStep{Pause: &weirv1.RolloutPause{}})
		n.add(Translated, at, "a confirm-promotion gate is a pause until promoted: kubectl weir promote, or Argo CD's promote action")
	case "rollout", "":
		n.add(Decision, at, "a check during the analysis: write it as a web metric (provider web: url, jsonPath) in the analysis's template; a load generator runs apart from Weir")
	default:
		n.add(Dropped, at, "Weir has no %s webhook: its Events (ReleaseStarted, StepCompleted, RolloutAborted) are what to act on", kind)
	}
}

// autoscaler points the HorizontalPodAutoscaler the Canary names at the Rollout (which has
// a scale subresource), when it is among the inputs.
func (c *converter) autoscaler(src *source, n notes, rollout string) {
	hpa := c.byKind["HorizontalPodAutoscaler/"+src.str("spec.autoscalerRef.name")]
	src.at("spec.autoscalerRef")
	if hpa == nil {
		n.add(Decision, "spec.autoscalerRef", "point the HorizontalPodAutoscaler's scaleTargetRef at Rollout %s (it has a scale subresource)", rollout)
		return
	}
	spec, _ := hpa["spec"].(map[string]any)
	spec["scaleTargetRef"] = map[string]any{"apiVersion": weirv1.GroupVersion.String(), "kind": "Rollout", "name": rollout}
	n.add(Translated, "spec.autoscalerRef", "HorizontalPodAutoscaler %s now scales Rollout %s", lookup(hpa, "metadata.name"), rollout)
}

// metricTemplateLeftovers reports the fields of a MetricTemplate the Canaries' translation
// doesn't read (once, with the first Canary that uses it).
func (c *converter) metricTemplateLeftovers(mt map[string]any) {
	src := newSource(mt)
	n := notes{object: fmt.Sprintf("flagger.app MetricTemplate %s", lookup(mt, "metadata.name")), out: &c.report}
	c.meta(src, n)
	for _, read := range []string{"spec.query", "spec.provider.type", "spec.provider.address", "spec.provider.secretRef"} {
		src.at(read)
	}
	n.leftovers(src, "apiVersion", "kind")
}
