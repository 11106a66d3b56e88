package convert

import (
	"fmt"
	"regexp"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/analysis"
)

// argoTemplate translates an Argo Rollouts AnalysisTemplate or ClusterAnalysisTemplate.
func (c *converter) argoTemplate(src *source, n notes, kind string) {
	meta := c.meta(src, n)
	spec := weirv1.AnalysisTemplateSpec{}
	for i := range src.list("spec.args") {
		at := fmt.Sprintf("spec.args[%d]", i)
		arg := weirv1.Argument{Name: src.str(at + ".name")}
		if src.has(at + ".value") {
			arg.Value = ptr.To(src.str(at + ".value"))
		}
		if src.has(at + ".valueFrom") {
			src.at(at + ".valueFrom")
			n.add(Decision, at+".valueFrom", "a template's argument takes no value from a Secret or field in Weir: give it in the Rollout's analysis args (valueFrom.fieldRef there), or put the Secret in the provider's headers")
		}
		spec.Args = append(spec.Args, arg)
	}
	dry := map[string]bool{}
	for i := range src.list("spec.dryRun") {
		dry[src.str(fmt.Sprintf("spec.dryRun[%d].metricName", i))] = true
	}
	for i := range src.list("spec.metrics") {
		if m, ok := c.argoMetric(src, n, fmt.Sprintf("spec.metrics[%d]", i)); ok {
			m.DryRun = dry[m.Name] || dry["*"]
			spec.Metrics = append(spec.Metrics, m)
		}
	}
	if src.has("spec.measurementRetention") {
		src.at("spec.measurementRetention")
		n.add(Dropped, "spec.measurementRetention", "Weir keeps every measurement of a run in its status (bounded by the run's count)")
	}
	n.leftovers(src, "apiVersion", "kind")
	if kind == "ClusterAnalysisTemplate" {
		c.out = append(c.out, &weirv1.ClusterAnalysisTemplate{TypeMeta: typeMeta(kind), ObjectMeta: meta, Spec: spec})
		return
	}
	c.out = append(c.out, &weirv1.AnalysisTemplate{TypeMeta: typeMeta(kind), ObjectMeta: meta, Spec: spec})
}

func (c *converter) argoMetric(src *source, n notes, at string) (weirv1.Metric, bool) {
	m := weirv1.Metric{Name: src.str(at + ".name")}
	m.Interval = weirv1.Duration(src.str(at + ".interval"))
	m.InitialDelay = weirv1.Duration(src.str(at + ".initialDelay"))
	for field, dst := range map[string]**int32{".count": &m.Count, ".failureLimit": &m.FailureLimit,
		".inconclusiveLimit": &m.InconclusiveLimit, ".consecutiveErrorLimit": &m.ConsecutiveErrorLimit} {
		if v, ok := src.integer(at + field); ok {
			*dst = ptr.To(v)
		}
	}
	if m.FailureLimit != nil && *m.FailureLimit < 0 {
		m.FailureLimit = nil
		n.add(Translated, at+".failureLimit", "-1 (no limit) is left out: Weir then fails the metric at its first failure; set a limit as high as you mean")
	}
	m.SuccessCondition = c.condition(src, n, at+".successCondition")
	m.FailureCondition = c.condition(src, n, at+".failureCondition")
	provider := at + ".provider"
	switch {
	case src.has(provider + ".prometheus"):
		p := provider + ".prometheus"
		pp := &weirv1.PrometheusProvider{Query: src.str(p + ".query")}
		pp.Address = src.str(p + ".address")
		if v, ok := src.integer(p + ".timeout"); ok {
			pp.Timeout = weirv1.Duration(fmt.Sprintf("%ds", v))
			n.add(Translated, p+".timeout", "seconds, written as %s", pp.Timeout)
		}
		for i := range src.list(p + ".headers") {
			h := fmt.Sprintf("%s.headers[%d]", p, i)
			pp.Headers = append(pp.Headers, weirv1.HTTPHeader{Name: src.str(h + ".key"), Value: src.str(h + ".value")})
		}
		if v, ok := src.boolean(p + ".insecure"); ok {
			pp.InsecureSkipVerify = v
		}
		if src.has(p + ".authentication") {
			src.at(p + ".authentication")
			n.add(Decision, p+".authentication", "Weir authenticates to Prometheus with a bearer token from a Secret (prometheus.auth.bearerTokenSecret) or headers: no SigV4 or OAuth2 flow")
		}
		m.Provider.Prometheus = pp
	case src.has(provider + ".web"):
		p := provider + ".web"
		w := &weirv1.WebProvider{URL: src.str(p + ".url"), Method: src.str(p + ".method"), Body: src.str(p + ".body"), JSONPath: src.str(p + ".jsonPath")}
		if src.has(p + ".jsonBody") {
			raw := src.take(p + ".jsonBody")
			var b strings.Builder
			encodeJSON(&b, raw)
			w.Body = b.String()
			n.add(Translated, p+".jsonBody", "written as the body, JSON-encoded")
		}
		w.TimeoutSeconds = src.optional(p + ".timeoutSeconds")
		if v, ok := src.boolean(p + ".insecure"); ok {
			w.InsecureSkipVerify = v
		}
		for i := range src.list(p + ".headers") {
			h := fmt.Sprintf("%s.headers[%d]", p, i)
			w.Headers = append(w.Headers, weirv1.WebHeader{Name: src.str(h + ".key"), Value: ptr.To(src.str(h + ".value"))})
		}
		m.Provider.Web = w
	case src.has(provider + ".job"):
		j := &weirv1.JobProvider{}
		decode(src.take(provider+".job.metadata"), &j.Metadata)
		var spec batchv1.JobSpec
		decode(src.take(provider+".job.spec"), &spec)
		j.Spec = spec
		m.Provider.Job = j
		if m.SuccessCondition != "" || m.FailureCondition != "" {
			n.add(Translated, at, "a job metric passes when its Job succeeds (result 1) and fails when it fails (0)")
		}
	default:
		for _, kind := range src.keys(provider) {
			src.at(provider + "." + kind)
			n.add(Decision, provider+"."+kind, "Weir has no %s provider (prometheus, web and job): the metric is left out; query the same through Prometheus or a web endpoint", kind)
		}
		return m, false
	}
	return m, true
}

// The peers' conditions are expr-lang; Weir's are CEL. Most are the same text; these differ.
var (
	exprWords = strings.NewReplacer(" and ", " && ", " or ", " || ", "not ", "!")
	exprLen   = regexp.MustCompile(`\blen\(`)
	exprNaN   = regexp.MustCompile(`isNaN\(([^()]*)\)`)
)

// condition translates a success or failure condition and checks that Weir compiles it.
func (c *converter) condition(src *source, n notes, path string) string {
	expr := src.str(path)
	if expr == "" {
		return ""
	}
	out := exprWords.Replace(" " + expr + " ")
	out = exprLen.ReplaceAllString(out, "size(")
	out = exprNaN.ReplaceAllString(out, "($1 != $1)")
	out = strings.TrimSpace(out)
	if out != expr {
		n.add(Translated, path, "%q written in CEL as %q", expr, out)
	}
	if _, err := analysis.CompileCondition(out); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		n.add(Decision, path, "Weir can't compile it: %s; write it in CEL", first)
	}
	return out
}
