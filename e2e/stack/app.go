package stack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// App is the blog platform's backend released as a Rollout behind the gateway.
type App struct {
	Namespace string
	Name      string
	Host      string
}

// NewApp names the backend of a namespace.
func NewApp(ns string) App {
	return App{Namespace: ns, Name: "backend", Host: "backend." + ns + ".example"}
}

// StableService and CanaryService are the app's two Services.
func (a App) StableService() string { return a.Name + "-stable" }
func (a App) CanaryService() string { return a.Name + "-canary" }

// Objects are what a chart author ships: the namespace, two Services, the HTTPRoute, the
// error-rate AnalysisTemplate (over Traefik's per-Service metrics) and the Rollout.
func (a App) Objects(promURL string, steps []weirv1.CanaryStep) []client.Object {
	labels := map[string]string{"app": a.Name}
	svc := func(name string) *corev1.Service {
		return &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: a.Namespace},
			Spec: corev1.ServiceSpec{Selector: labels,
				Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}},
		}
	}
	ref := func(name string, w int32) gatewayv1.HTTPBackendRef {
		return gatewayv1.HTTPBackendRef{BackendRef: gatewayv1.BackendRef{Weight: ptr.To(w),
			BackendObjectReference: gatewayv1.BackendObjectReference{Name: gatewayv1.ObjectName(name), Port: ptr.To[gatewayv1.PortNumber](80)}}}
	}
	route := &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: a.Name, Namespace: a.Namespace},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: []gatewayv1.ParentReference{{
				Name: GatewayName, Namespace: ptr.To[gatewayv1.Namespace]("default")}}},
			Hostnames: []gatewayv1.Hostname{gatewayv1.Hostname(a.Host)},
			Rules: []gatewayv1.HTTPRouteRule{{
				BackendRefs: []gatewayv1.HTTPBackendRef{ref(a.StableService(), 100), ref(a.CanaryService(), 0)},
			}},
		},
	}
	svcRegex := fmt.Sprintf(`.*-svc-%s-{{args.service}}-[0-9]+@kubernetesgateway`, a.Namespace)
	template := &weirv1.AnalysisTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "error-rate", Namespace: a.Namespace},
		Spec: weirv1.AnalysisTemplateSpec{
			Args: []weirv1.Argument{{Name: "service"}},
			Metrics: []weirv1.Metric{{
				// Traefik creates a Service's 5xx counter at its first 5xx, and rate() needs two
				// samples of it: the initial delay lets a failing canary's counter exist long
				// enough to be seen, rather than reading "no 5xx series" as 0 errors.
				Name: "error-rate", MetricSettings: weirv1.MetricSettings{Interval: "2s", Count: ptr.To[int32](3)}, InitialDelay: "8s",
				OnNoData: weirv1.NoDataWait, SuccessCondition: "result < 0.05", FailureCondition: "result >= 0.05",
				Provider: weirv1.MetricProvider{Prometheus: &weirv1.PrometheusProvider{
					PrometheusEndpoint: weirv1.PrometheusEndpoint{Address: promURL, Timeout: "5s"},
					// A canary without 5xx yet has no 5xx series: "or vector(0)" makes that 0.
					Query: fmt.Sprintf(`(sum(rate(traefik_service_requests_total{service=~"%s",code=~"5.."}[10s])) or vector(0))`, svcRegex) +
						fmt.Sprintf(` / sum(rate(traefik_service_requests_total{service=~"%s"}[10s]))`, svcRegex),
				}},
			}},
		},
	}
	rollout := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: a.Name, Namespace: a.Namespace},
		Spec: weirv1.RolloutSpec{
			Replicas: ptr.To[int32](4),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "backend", Image: "demoapp:v1",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080}}}}},
			},
			Strategy: weirv1.RolloutStrategy{Canary: &weirv1.CanaryStrategy{
				StableService: a.StableService(), CanaryService: a.CanaryService(),
				TrafficRouting: &weirv1.TrafficRouting{GatewayAPI: &weirv1.GatewayAPITrafficRouting{
					HTTPRoutes: []weirv1.RouteRef{{Name: a.Name}}}},
				Steps:                      steps,
				ScaleDownDelaySeconds:      ptr.To[int32](5),
				AbortScaleDownDelaySeconds: ptr.To[int32](5),
			}},
		},
	}
	return []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: a.Namespace}},
		svc(a.StableService()), svc(a.CanaryService()), route, template, rollout}
}

// AnalysisStep runs the error-rate template against the canary Service.
func (a App) AnalysisStep() weirv1.CanaryStep {
	return weirv1.CanaryStep{Analysis: &weirv1.RolloutAnalysis{
		Templates: []weirv1.AnalysisTemplateRef{{TemplateName: "error-rate"}},
		Args:      []weirv1.AnalysisRunArgument{{Name: "service", Value: ptr.To(a.CanaryService())}},
	}}
}

// Release changes the pod template: a new image and, for a bad release, an error rate.
func (a App) Release(ctx context.Context, c client.Client, image string, errorRate string) error {
	for {
		var ro weirv1.Rollout
		if err := c.Get(ctx, client.ObjectKey{Namespace: a.Namespace, Name: a.Name}, &ro); err != nil {
			return err
		}
		container := &ro.Spec.Template.Spec.Containers[0]
		container.Image = image
		container.Env = nil
		if errorRate != "" {
			container.Env = []corev1.EnvVar{{Name: "ERROR_RATE", Value: errorRate}}
		}
		err := c.Update(ctx, &ro)
		if err == nil || !strings.Contains(err.Error(), "modified") {
			return err
		}
	}
}

// Sample is what n requests through the gateway saw.
type Sample struct {
	Requests int
	Versions map[string]int // answered 200, by version
	Failed   map[int]int    // non-200 answers by status code
	Errors   int            // transport errors
}

// Share of the requests answered by version v, in percent.
func (s Sample) Share(v string) float64 {
	if s.Requests == 0 {
		return 0
	}
	return 100 * float64(s.Versions[v]) / float64(s.Requests)
}

// Send sends n requests through the gateway, concurrency at a time.
func (s *Stack) Send(a App, n, concurrency int) Sample { return s.SendWith(a, nil, n, concurrency) }

// SendWith is Send with the given request headers.
func (s *Stack) SendWith(a App, header http.Header, n, concurrency int) Sample {
	client := &http.Client{Timeout: 5 * time.Second}
	return sample(n, concurrency, func() (string, int, error) {
		req, _ := http.NewRequest(http.MethodGet, s.GatewayURL+"/", nil)
		req.Host = a.Host
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", 0, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", resp.StatusCode, nil
		}
		return strings.TrimSpace(string(body)), 0, nil
	})
}

// sample makes n calls, concurrency at a time. A call returns the version that answered,
// or the status of a failed answer, or a transport error.
func sample(n, concurrency int, call func() (version string, failed int, err error)) Sample {
	out := Sample{Requests: n, Versions: map[string]int{}, Failed: map[int]int{}}
	var mu sync.Mutex
	work := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				version, failed, err := call()
				mu.Lock()
				switch {
				case err != nil:
					out.Errors++
				case failed != 0:
					out.Failed[failed]++
				default:
					out.Versions[version]++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	return out
}
