package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

var k8s client.Client

// TestMain runs every case against one real kube-apiserver with Weir's CRDs installed: the
// rules under test are the CRD's own OpenAPI and CEL validations, as users meet them.
func TestMain(m *testing.M) {
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		os.Exit(1)
	}
	k8s = env.Client
	code := m.Run()
	env.Stop()
	os.Exit(code)
}

// validRollout is the canary Rollout of the controller tests, named name.
func validRollout(name string) *weirv1.Rollout {
	ro := fixture.CanaryRollout("default", "web", 4, "web:1",
		fixture.SetWeight(20),
		fixture.Pause("10s"),
		weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "error-rate"}}}},
		fixture.Pause(""))
	ro.Name = name
	return ro
}

func validBlueGreen(name string) *weirv1.Rollout {
	r := validRollout(name)
	r.Spec.Strategy = weirv1.RolloutStrategy{BlueGreen: &weirv1.BlueGreenStrategy{
		ActiveService: "web-active", PreviewService: "web-preview",
	}}
	return r
}

func validTemplate(name string) *weirv1.AnalysisTemplate {
	return &weirv1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: weirv1.AnalysisTemplateSpec{
			Args: []weirv1.Argument{{Name: "service"}},
			Metrics: []weirv1.Metric{{
				Name:             "error-rate",
				MetricSettings:   weirv1.MetricSettings{Interval: "10s", Count: ptr.To[int32](5)},
				SuccessCondition: "result < 0.05",
				Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{
					PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: "http://prometheus:9090"},
					Query:              `sum(rate(http_requests_total{service="{{args.service}}",code=~"5.."}[1m]))`,
				}},
			}},
		},
	}
}

func webProvider() *weirv1.WebProvider {
	return &weirv1.WebProvider{URL: "https://status.example.com/api?service={{args.service}}", JSONPath: "{$.data.errorRate}",
		Headers: []weirv1.WebHeader{{Name: "Authorization", ValueFrom: &weirv1.WebHeaderSource{
			SecretKeyRef: corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "token"}}}}}
}

func jobProvider() *weirv1.JobProvider {
	return &weirv1.JobProvider{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "smoke", Image: "smoke:1"}}}}}}
}

func canary(r *weirv1.Rollout) *weirv1.CanaryStrategy { return r.Spec.Strategy.Canary }

func metric(t *weirv1.AnalysisTemplate) *weirv1.Metric { return &t.Spec.Metrics[0] }

// TestValidObjectsAreAccepted guards the table below: each bad case is one change away from
// an object the API server accepts, so a refusal is caused by that change alone.
func TestValidObjectsAreAccepted(t *testing.T) {
	ctx := context.Background()
	withArgs := validRollout("ok-args")
	withArgs.Spec.Strategy.Canary.Steps[2].Analysis.Args = []weirv1.AnalysisRunArgument{
		{Name: "team", ValueFrom: &weirv1.ArgumentValueFrom{FieldRef: &weirv1.FieldRef{FieldPath: "metadata.labels['team']"}}},
		{Name: "owner", ValueFrom: &weirv1.ArgumentValueFrom{FieldRef: &weirv1.FieldRef{FieldPath: "metadata.annotations['example.com/owner']"}}},
		{Name: "name", ValueFrom: &weirv1.ArgumentValueFrom{FieldRef: &weirv1.FieldRef{FieldPath: "metadata.name"}}},
	}
	judge := validTemplate("ok-judge")
	judge.Spec.Metrics[0].Provider = weirv1.MetricProvider{Judge: &weirv1.JudgeProvider{
		Prometheus:  weirv1.PrometheusEndpoint{Address: "http://prometheus:9090"},
		CanaryQuery: "a", BaselineQuery: "b", Step: "500ms", EffectSize: ptr.To("0.1"), Confidence: ptr.To("0.99")}}
	web := validTemplate("ok-web")
	web.Spec.Metrics[0].Provider = weirv1.MetricProvider{Web: webProvider()}
	job := validTemplate("ok-job") // a job metric passes when its Job succeeds: no condition needed
	job.Spec.Metrics[0].SuccessCondition = ""
	job.Spec.Metrics[0].Provider = weirv1.MetricProvider{Job: jobProvider()}
	grpcOnly := validRollout("ok-grpc")
	grpcOnly.Spec.Strategy.Canary.TrafficRouting.GatewayAPI = &weirv1.GatewayAPITrafficRouting{GRPCRoutes: []weirv1.RouteRef{{Name: "web-grpc"}}}
	scaled := validRollout("ok-scale") // pods first, a header rule, then weights
	scaled.Spec.Strategy.Canary.Steps = append([]weirv1.CanaryStep{
		{SetCanaryScale: &weirv1.SetCanaryScale{Replicas: ptr.To[int32](1)}},
		{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta", Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: "1"}}}},
		{SetCanaryScale: &weirv1.SetCanaryScale{Weight: ptr.To[int32](25)}},
		{SetCanaryScale: &weirv1.SetCanaryScale{MatchTrafficWeight: true}},
	}, scaled.Spec.Strategy.Canary.Steps...)
	fromDeployment := validRollout("ok-workload-ref") // the pod template is the Deployment's
	fromDeployment.Spec.Template = corev1.PodTemplateSpec{}
	fromDeployment.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: "web"}
	seconds := validRollout("ok-seconds") // the peers' spelling: a whole number of seconds
	seconds.Spec.Strategy.Canary.Steps[1].Pause.Duration = ptr.To(weirv1.PauseDuration("30"))
	for _, obj := range []client.Object{fromDeployment, seconds, scaled, grpcOnly, validRollout("ok-canary"), validBlueGreen("ok-bluegreen"), validTemplate("ok-template"), withArgs, judge, web, job} {
		if err := k8s.Create(ctx, obj); err != nil {
			t.Fatalf("valid %T refused: %v", obj, err)
		}
	}
}

func TestInvalidObjectsAreRefusedNamingTheField(t *testing.T) {
	rollout := func(mutate func(*weirv1.Rollout)) client.Object {
		r := validRollout("bad")
		mutate(r)
		return r
	}
	blueGreen := func(mutate func(*weirv1.Rollout)) client.Object {
		r := validBlueGreen("bad")
		mutate(r)
		return r
	}
	template := func(mutate func(*weirv1.AnalysisTemplate)) client.Object {
		a := validTemplate("bad")
		mutate(a)
		return a
	}
	cases := []struct {
		name string
		obj  client.Object
		// every fragment must appear in the API server's message: the field's path and a
		// phrase that says what is wrong.
		want []string
	}{
		{"two strategies", rollout(func(r *weirv1.Rollout) {
			r.Spec.Strategy.BlueGreen = validBlueGreen("x").Spec.Strategy.BlueGreen
		}), []string{"spec.strategy", "exactly one of strategy.canary or strategy.blueGreen"}},
		{"no strategy", rollout(func(r *weirv1.Rollout) { r.Spec.Strategy = weirv1.RolloutStrategy{} }),
			[]string{"spec.strategy", "exactly one of strategy.canary or strategy.blueGreen"}},
		{"setWeight 101", rollout(func(r *weirv1.Rollout) { canary(r).Steps[0].SetWeight = ptr.To[int32](101) }),
			[]string{"spec.strategy.canary.steps[0].setWeight", "less than or equal to 100"}},
		{"setWeight -1", rollout(func(r *weirv1.Rollout) { canary(r).Steps[0].SetWeight = ptr.To[int32](-1) }),
			[]string{"spec.strategy.canary.steps[0].setWeight", "greater than or equal to 0"}},
		{"step with two actions", rollout(func(r *weirv1.Rollout) { canary(r).Steps[0].Pause = &weirv1.RolloutPause{} }),
			[]string{"spec.strategy.canary.steps[0]", "exactly one of setWeight, pause, analysis"}},
		{"empty step", rollout(func(r *weirv1.Rollout) { canary(r).Steps[1] = weirv1.CanaryStep{} }),
			[]string{"spec.strategy.canary.steps[1]", "exactly one of setWeight, pause, analysis"}},
		{"same stable and canary service", rollout(func(r *weirv1.Rollout) { canary(r).CanaryService = "web-stable" }),
			[]string{"spec.strategy.canary.canaryService", "must name different Services"}},
		{"missing stable service", rollout(func(r *weirv1.Rollout) { canary(r).StableService = "" }),
			[]string{"spec.strategy.canary.stableService"}},
		{"bad pause duration", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps[1].Pause.Duration = ptr.To(weirv1.PauseDuration("ten seconds"))
		}),
			[]string{"spec.strategy.canary.steps[1].pause.duration", "must be a duration"}},
		{"a string duration without unit", rollout(func(r *weirv1.Rollout) { canary(r).Steps[1].Pause.Duration = ptr.To(weirv1.PauseDuration("1.5")) }),
			[]string{"spec.strategy.canary.steps[1].pause.duration", "must be a duration such as 500ms, 30s, 5m or 1h30m, or a whole number of seconds"}},
		{"selector not matching labels", rollout(func(r *weirv1.Rollout) { r.Spec.Template.Labels = map[string]string{"app": "other"} }),
			[]string{"spec.selector", "selector.matchLabels must match template.metadata.labels"}},
		{"selector label missing from template", rollout(func(r *weirv1.Rollout) { r.Spec.Template.Labels = nil }),
			[]string{"spec.selector", "selector.matchLabels must match template.metadata.labels"}},
		{"empty selector", rollout(func(r *weirv1.Rollout) { r.Spec.Selector = &metav1.LabelSelector{} }),
			[]string{"spec.selector", "selector must not be empty"}},
		{"negative replicas", rollout(func(r *weirv1.Rollout) { r.Spec.Replicas = ptr.To[int32](-1) }),
			[]string{"spec.replicas", "greater than or equal to 0"}},
		{"analysis step without templates", rollout(func(r *weirv1.Rollout) { canary(r).Steps[2].Analysis.Templates = nil }),
			[]string{"spec.strategy.canary.steps[2].analysis.templates"}},
		{"no routes at all", rollout(func(r *weirv1.Rollout) { canary(r).TrafficRouting.GatewayAPI.HTTPRoutes = nil }),
			[]string{"spec.strategy.canary.trafficRouting.gatewayAPI", "needs at least one of httpRoutes or grpcRoutes"}},
		{"a header step with GRPCRoutes only", rollout(func(r *weirv1.Rollout) {
			canary(r).TrafficRouting.GatewayAPI.HTTPRoutes = nil
			canary(r).TrafficRouting.GatewayAPI.GRPCRoutes = []weirv1.RouteRef{{Name: "web-grpc"}}
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta",
				Match: []weirv1.HeaderMatch{{Name: "x-beta", Value: "1"}}}})
		}), []string{"spec.strategy.canary.trafficRouting", "need canary.trafficRouting with httpRoutes (grpcRoutes carry weights only)"}},
		{"trafficRouting without gatewayAPI", rollout(func(r *weirv1.Rollout) { canary(r).TrafficRouting.GatewayAPI = nil }),
			[]string{"spec.strategy.canary.trafficRouting", "trafficRouting needs gatewayAPI"}},
		{"header route without traffic routing", rollout(func(r *weirv1.Rollout) {
			canary(r).TrafficRouting = nil
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta"}})
		}), []string{"spec.strategy.canary.trafficRouting", "need canary.trafficRouting"}},
		{"mirror percent 150", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetMirrorRoute: &weirv1.SetMirrorRoute{Name: "m", Percent: 150}})
		}), []string{"spec.strategy.canary.steps[4].setMirrorRoute.percent", "less than or equal to 100"}},
		{"startingStep past the steps", rollout(func(r *weirv1.Rollout) {
			canary(r).Analysis = &weirv1.BackgroundAnalysis{
				RolloutAnalysis: weirv1.RolloutAnalysis{Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "t"}}},
				StartingStep:    ptr.To[int32](9),
			}
		}), []string{"spec.strategy.canary.analysis.startingStep", "must not be greater than the number of steps"}},
		{"bad maxSurge", rollout(func(r *weirv1.Rollout) { canary(r).MaxSurge = ptr.To(intstr.FromString("lots")) }),
			[]string{"spec.strategy.canary.maxSurge", "non-negative number or a percentage"}},
		{"arg with value and valueFrom", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps[2].Analysis.Args = []weirv1.AnalysisRunArgument{{Name: "a", Value: ptr.To("x"),
				ValueFrom: &weirv1.ArgumentValueFrom{PodTemplateHashValue: ptr.To("Stable")}}}
		}), []string{"spec.strategy.canary.steps[2].analysis.args[0]", "exactly one of value or valueFrom"}},
		{"podTemplateHashValue unknown", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps[2].Analysis.Args = []weirv1.AnalysisRunArgument{{Name: "a",
				ValueFrom: &weirv1.ArgumentValueFrom{PodTemplateHashValue: ptr.To("Canary")}}}
		}), []string{"spec.strategy.canary.steps[2].analysis.args[0].valueFrom.podTemplateHashValue", "Unsupported value"}},
		{"same active and preview service", blueGreen(func(r *weirv1.Rollout) { r.Spec.Strategy.BlueGreen.PreviewService = "web-active" }),
			[]string{"spec.strategy.blueGreen.previewService", "must name different Services"}},
		{"previewReplicaCount 0", blueGreen(func(r *weirv1.Rollout) { r.Spec.Strategy.BlueGreen.PreviewReplicaCount = ptr.To[int32](0) }),
			[]string{"spec.strategy.blueGreen.previewReplicaCount", "greater than or equal to 1"}},
		{"pod template with an empty list of containers", rollout(func(r *weirv1.Rollout) { r.Spec.Template.Spec.Containers = []corev1.Container{} }),
			[]string{"spec.template.spec.containers", "at least one container"}},
		{"maxSurge 0 and maxUnavailable 0", rollout(func(r *weirv1.Rollout) {
			canary(r).MaxSurge, canary(r).MaxUnavailable = ptr.To(intstr.FromInt32(0)), ptr.To(intstr.FromString("0%"))
		}), []string{"spec.strategy.canary.maxUnavailable", "can't both be 0"}},
		{"header match with a name no HTTP header can have", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetHeaderRoute: &weirv1.SetHeaderRoute{Name: "beta",
				Match: []weirv1.HeaderMatch{{Name: "x beta", Value: "1"}}}})
		}), []string{"spec.strategy.canary.steps[4].setHeaderRoute.match[0].name", "should match"}},
		{"a route namespace that is no namespace name", rollout(func(r *weirv1.Rollout) {
			canary(r).TrafficRouting.GatewayAPI.HTTPRoutes[0].Namespace = "Platform Team"
		}), []string{"spec.strategy.canary.trafficRouting.gatewayAPI.httpRoutes[0].namespace", "should match"}},
		{"template and workloadRef both", rollout(func(r *weirv1.Rollout) { r.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: "web"} }),
			[]string{"spec.workloadRef", "set template or workloadRef, not both"}},
		{"workloadRef to a StatefulSet", rollout(func(r *weirv1.Rollout) {
			r.Spec.Template = corev1.PodTemplateSpec{}
			r.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: "web", Kind: "StatefulSet"}
		}), []string{"spec.workloadRef.kind", "Unsupported value"}},
		{"no template and no workloadRef", rollout(func(r *weirv1.Rollout) { r.Spec.Template = corev1.PodTemplateSpec{} }),
			[]string{"spec.template.spec.containers", "at least one container"}},
		{"setCanaryScale with both replicas and weight", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetCanaryScale: &weirv1.SetCanaryScale{Replicas: ptr.To[int32](1), Weight: ptr.To[int32](20)}})
		}), []string{"spec.strategy.canary.steps[4].setCanaryScale", "exactly one of replicas, weight, or matchTrafficWeight: true"}},
		{"setCanaryScale weight above 100", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetCanaryScale: &weirv1.SetCanaryScale{Weight: ptr.To[int32](120)}})
		}), []string{"spec.strategy.canary.steps[4].setCanaryScale.weight", "less than or equal to 100"}},
		{"setCanaryScale without traffic routing", rollout(func(r *weirv1.Rollout) {
			canary(r).TrafficRouting = nil
			canary(r).Steps = append(canary(r).Steps, weirv1.CanaryStep{SetCanaryScale: &weirv1.SetCanaryScale{Replicas: ptr.To[int32](1)}})
		}), []string{"spec.strategy.canary.trafficRouting", "setCanaryScale steps need canary.trafficRouting"}},
		{"a step with setCanaryScale and setWeight", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps[0].SetCanaryScale = &weirv1.SetCanaryScale{MatchTrafficWeight: true}
		}), []string{"spec.strategy.canary.steps[0]", "exactly one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale"}},
		{"progressDeadlineSeconds 0", rollout(func(r *weirv1.Rollout) { r.Spec.ProgressDeadlineSeconds = ptr.To[int32](0) }),
			[]string{"spec.progressDeadlineSeconds", "greater than or equal to 1"}},

		{"template with no metrics", template(func(a *weirv1.AnalysisTemplate) { a.Spec.Metrics = nil }),
			[]string{"spec.metrics"}},
		{"metric missing query", template(func(a *weirv1.AnalysisTemplate) { metric(a).Provider.Prometheus.Query = "" }),
			[]string{"spec.metrics[0].provider.prometheus.query"}},
		{"prometheus address without a host", template(func(a *weirv1.AnalysisTemplate) { metric(a).Provider.Prometheus.Address = "http://:9090" }),
			[]string{"spec.metrics[0].provider.prometheus.address", "must be a URL with a host"}},
		{"prometheus header name with a space", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider.Prometheus.Headers = []weirv1.HTTPHeader{{Name: "X Org", Value: "1"}}
		}), []string{"spec.metrics[0].provider.prometheus.headers[0].name", "should match"}},
		{"fieldPath Weir can't read", rollout(func(r *weirv1.Rollout) {
			canary(r).Steps[2].Analysis.Args = []weirv1.AnalysisRunArgument{{Name: "a",
				ValueFrom: &weirv1.ArgumentValueFrom{FieldRef: &weirv1.FieldRef{FieldPath: "spec.replicas"}}}}
		}), []string{"spec.strategy.canary.steps[2].analysis.args[0].valueFrom.fieldRef.fieldPath", "metadata.labels['key']"}},
		{"judge effectSize not a number", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider = weirv1.MetricProvider{Judge: &weirv1.JudgeProvider{Prometheus: weirv1.PrometheusEndpoint{Address: "http://p:9090"},
				CanaryQuery: "a", BaselineQuery: "b", EffectSize: ptr.To("ten percent")}}
		}), []string{"spec.metrics[0].provider.judge.effectSize", "non-negative number"}},
		{"judge confidence 1.5", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider = weirv1.MetricProvider{Judge: &weirv1.JudgeProvider{Prometheus: weirv1.PrometheusEndpoint{Address: "http://p:9090"},
				CanaryQuery: "a", BaselineQuery: "b", Confidence: ptr.To("1.5")}}
		}), []string{"spec.metrics[0].provider.judge.confidence", "between 0.5 and 1"}},
		{"judge step 0s", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider = weirv1.MetricProvider{Judge: &weirv1.JudgeProvider{Prometheus: weirv1.PrometheusEndpoint{Address: "http://p:9090"},
				CanaryQuery: "a", BaselineQuery: "b", Step: "0s"}}
		}), []string{"spec.metrics[0].provider.judge.step", "longer than 0"}},
		{"metric without provider", template(func(a *weirv1.AnalysisTemplate) { metric(a).Provider = weirv1.MetricProvider{} }),
			[]string{"spec.metrics[0].provider", "provider needs exactly one of prometheus, judge, web or job"}},
		{"metric with two providers", template(func(a *weirv1.AnalysisTemplate) { metric(a).Provider.Web = webProvider() }),
			[]string{"spec.metrics[0].provider", "provider needs exactly one of prometheus, judge, web or job"}},
		{"web metric without any condition", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).SuccessCondition, metric(a).Provider = "", weirv1.MetricProvider{Web: webProvider()}
		}), []string{"spec.metrics[0]", "needs successCondition or failureCondition"}},
		{"web url without scheme", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider = weirv1.MetricProvider{Web: webProvider()}
			metric(a).Provider.Web.URL = "status.example.com/api"
		}), []string{"spec.metrics[0].provider.web.url", "must start with http:// or https://"}},
		{"web header with value and valueFrom", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider = weirv1.MetricProvider{Web: webProvider()}
			metric(a).Provider.Web.Headers[0].Value = ptr.To("Bearer x")
		}), []string{"spec.metrics[0].provider.web.headers[0]", "exactly one of value or valueFrom"}},
		{"web method PUT", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider = weirv1.MetricProvider{Web: webProvider()}
			metric(a).Provider.Web.Method = "PUT"
		}), []string{"spec.metrics[0].provider.web.method", "Unsupported value"}},
		{"prometheus address without scheme", template(func(a *weirv1.AnalysisTemplate) { metric(a).Provider.Prometheus.Address = "prometheus:9090" }),
			[]string{"spec.metrics[0].provider.prometheus.address", "must start with http:// or https://"}},
		{"metric without any condition", template(func(a *weirv1.AnalysisTemplate) { metric(a).SuccessCondition = "" }),
			[]string{"spec.metrics[0]", "needs successCondition or failureCondition"}},
		{"count without interval", template(func(a *weirv1.AnalysisTemplate) { metric(a).Interval = "" }),
			[]string{"spec.metrics[0].interval", "count greater than 1 needs an interval"}},
		{"bad interval", template(func(a *weirv1.AnalysisTemplate) { metric(a).Interval = "1 minute" }),
			[]string{"spec.metrics[0].interval", "must be a duration"}},
		{"unknown onNoData", template(func(a *weirv1.AnalysisTemplate) { metric(a).OnNoData = "Ignore" }),
			[]string{"spec.metrics[0].onNoData", "Unsupported value"}},
		{"negative failureLimit", template(func(a *weirv1.AnalysisTemplate) { metric(a).FailureLimit = ptr.To[int32](-1) }),
			[]string{"spec.metrics[0].failureLimit", "greater than or equal to 0"}},
		{"duplicate metric names", template(func(a *weirv1.AnalysisTemplate) { a.Spec.Metrics = append(a.Spec.Metrics, a.Spec.Metrics[0]) }),
			[]string{"spec.metrics[1]", "Duplicate value"}},
		{"auth with both kinds", template(func(a *weirv1.AnalysisTemplate) {
			metric(a).Provider.Prometheus.Auth = &weirv1.PrometheusAuth{
				BearerTokenSecret: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "token"},
				BasicAuthSecret:   &corev1.LocalObjectReference{Name: "s"},
			}
		}), []string{"spec.metrics[0].provider.prometheus.auth", "exactly one of bearerTokenSecret or basicAuthSecret"}},
		{"bad argument name", template(func(a *weirv1.AnalysisTemplate) { a.Spec.Args[0].Name = "my arg" }),
			[]string{"spec.args[0].name"}},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := k8s.Create(ctx, tc.obj)
			if err == nil {
				_ = k8s.Delete(ctx, tc.obj)
				t.Fatalf("accepted; want a refusal mentioning %q", tc.want)
			}
			for _, fragment := range tc.want {
				if !strings.Contains(err.Error(), fragment) {
					t.Errorf("refusal does not mention %q:\n%v", fragment, err)
				}
			}
		})
	}
}

// TestSelectorIsImmutable checks the one rule that needs an update to show.
func TestSelectorIsImmutable(t *testing.T) {
	ctx := context.Background()
	r := validRollout("immutable-selector")
	if err := k8s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "x"}}
	r.Spec.Template.Labels["tier"] = "x"
	err := k8s.Update(ctx, r)
	if err == nil || !strings.Contains(err.Error(), "spec.selector") || !strings.Contains(err.Error(), "selector is immutable") {
		t.Fatalf("want a refusal naming spec.selector as immutable, got %v", err)
	}
}

// TestDefaultsMatchTheCRD: the defaults the controller and the plugin assume for fields left
// out (api/v1alpha1's constants) are the ones the API server fills in.
func TestDefaultsMatchTheCRD(t *testing.T) {
	ctx := context.Background()
	r := validRollout("defaults")
	r.Spec.ProgressDeadlineSeconds = nil
	c := r.Spec.Strategy.Canary
	c.ScaleDownDelaySeconds, c.AbortScaleDownDelaySeconds = nil, nil
	if err := k8s.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	var got weirv1.Rollout
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(r), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int32{
		"progressDeadlineSeconds":    weirv1.DefaultProgressDeadlineSeconds,
		"scaleDownDelaySeconds":      weirv1.DefaultScaleDownDelaySeconds,
		"abortScaleDownDelaySeconds": weirv1.DefaultScaleDownDelaySeconds,
	}
	have := map[string]*int32{
		"progressDeadlineSeconds":    got.Spec.ProgressDeadlineSeconds,
		"scaleDownDelaySeconds":      got.Spec.Strategy.Canary.ScaleDownDelaySeconds,
		"abortScaleDownDelaySeconds": got.Spec.Strategy.Canary.AbortScaleDownDelaySeconds,
	}
	for field, v := range want {
		if have[field] == nil || *have[field] != v {
			t.Errorf("%s: the API server fills in %v, Weir assumes %d", field, have[field], v)
		}
	}
}
