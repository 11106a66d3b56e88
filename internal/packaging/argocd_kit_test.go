package packaging

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	"sigs.k8s.io/yaml"
)

// kit is the Argo CD kit as a user merges it into argocd-cm: the chart's rendered ConfigMap.
type kit struct {
	rolloutHealth     string
	analysisRunHealth string
	discovery         string
	actions           map[string]string // action name → action.lua
	data              map[string]string
}

// The argocd-cm keys, in the format Argo CD reads: resource.customizations.<kind of
// customization>.<group>_<Kind>.
const (
	keyRolloutHealth     = "resource.customizations.health.rollouts.weir.dev_Rollout"
	keyAnalysisRunHealth = "resource.customizations.health.rollouts.weir.dev_AnalysisRun"
	keyRolloutActions    = "resource.customizations.actions.rollouts.weir.dev_Rollout"
)

func renderKit(t *testing.T, promotionGateHealthy bool) kit {
	t.Helper()
	r, err := render(t, release{chart: "charts/weir", name: "weir", namespace: "weir-system", values: map[string]any{
		"argocd": map[string]any{"kit": map[string]any{"enabled": true, "promotionGateHealthy": promotionGateHealthy}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cm := r.find(t, "ConfigMap", "weir-argocd-kit")
	data := map[string]string{}
	for k, v := range cm.Object["data"].(map[string]any) {
		data[k] = v.(string)
	}
	// Argo CD parses the actions key as YAML: a discovery script and named definitions.
	var actions struct {
		Discovery   string `json:"discovery.lua"`
		Definitions []struct {
			Name   string `json:"name"`
			Action string `json:"action.lua"`
		} `json:"definitions"`
	}
	if err := yaml.UnmarshalStrict([]byte(data[keyRolloutActions]), &actions); err != nil {
		t.Fatalf("%s is not what Argo CD reads: %v", keyRolloutActions, err)
	}
	k := kit{rolloutHealth: data[keyRolloutHealth], analysisRunHealth: data[keyAnalysisRunHealth],
		discovery: actions.Discovery, actions: map[string]string{}, data: data}
	for _, d := range actions.Definitions {
		k.actions[d.Name] = d.Action
	}
	return k
}

// rollout is a Rollout at generation 3 with the given status (YAML, indented two spaces).
func rollout(t *testing.T, status string) map[string]any {
	return object(t, `
apiVersion: rollouts.weir.dev/v1alpha1
kind: Rollout
metadata:
  name: backend
  namespace: blog-prod
  generation: 3
spec:
  replicas: 4
`+status)
}

// Statuses as the controller writes them (internal/planner), one per situation.
const (
	statusHealthy = `status:
  observedGeneration: 3
  phase: Healthy
  message: 4 pods of revision 6b8f available, all traffic on it
  currentPodHash: 6b8f
  stableRS: 6b8f
`
	statusStale = `status:
  observedGeneration: 2
  phase: Healthy
  message: old news
  currentPodHash: 6b8f
  stableRS: 6b8f
`
	statusStepping = `status:
  observedGeneration: 3
  phase: Progressing
  message: pausing 5m at 20% before step 3
  currentPodHash: 7c9d
  stableRS: 6b8f
  currentStepIndex: 2
`
	statusWaitingForPromotion = `status:
  observedGeneration: 3
  phase: Paused
  message: waiting at step 10/10 until promoted
  currentPodHash: 7c9d
  stableRS: 6b8f
  currentStepIndex: 9
  conditions:
    - type: Paused
      status: "True"
      reason: WaitingForPromotion
      message: waiting at step 10/10 until promoted
      lastTransitionTime: "2026-01-01T00:00:00Z"
`
	statusOperatorPause = `status:
  observedGeneration: 3
  phase: Paused
  message: paused by alice; resume with 'kubectl weir resume backend'
  currentPodHash: 7c9d
  stableRS: 6b8f
  paused:
    reason: OperatorPause
    by: alice
    message: paused by alice; resume with 'kubectl weir resume backend'
    at: "2026-01-01T00:00:00Z"
`
	statusAnalysisError = `status:
  observedGeneration: 3
  phase: Paused
  message: analysis backend-7c9d-3 could not query Prometheus
  currentPodHash: 7c9d
  stableRS: 6b8f
  paused:
    reason: AnalysisError
    message: analysis backend-7c9d-3 could not query Prometheus
    at: "2026-01-01T00:00:00Z"
`
	statusAnalysisFailed = `status:
  observedGeneration: 3
  phase: Degraded
  message: release aborted, all traffic back on 6b8f
  currentPodHash: 7c9d
  stableRS: 6b8f
  aborted:
    reason: AnalysisFailed
    message: error-rate failed 2 of 10 measurements
    at: "2026-01-01T00:00:00Z"
`
	statusOperatorAbort = `status:
  observedGeneration: 3
  phase: Degraded
  message: release aborted
  currentPodHash: 7c9d
  stableRS: 6b8f
  aborted:
    reason: OperatorAbort
    message: aborted by argocd
    at: "2026-01-01T00:00:00Z"
`
	statusDeadline = `status:
  observedGeneration: 3
  phase: Degraded
  message: no progress for 10m0s while waiting for pods
  currentPodHash: 7c9d
  stableRS: 6b8f
`
	statusRequestPending = `status:
  observedGeneration: 3
  phase: Paused
  message: waiting at step 10/10 until promoted
  currentPodHash: 7c9d
  stableRS: 6b8f
  request:
    action: Promote
    by: bob
    at: "2026-01-01T00:00:00Z"
`

	statusWindowClosed = `status:
  observedGeneration: 3
  phase: Paused
  message: "release of 7c9d held, all traffic on stable 6b8f: policy no-fridays: release window closed (deny window \"no-friday-releases\"); opens 2026-12-05T00:00:00Z"
  currentPodHash: 7c9d
  stableRS: 6b8f
  conditions:
    - type: Ready
      status: "False"
      reason: ReleaseWindowClosed
      message: held
      lastTransitionTime: "2026-01-01T00:00:00Z"
    - type: Paused
      status: "True"
      reason: ReleaseWindowClosed
      message: held
      lastTransitionTime: "2026-01-01T00:00:00Z"
`
	statusImageRefused = `status:
  observedGeneration: 3
  phase: Degraded
  message: "release of 7c9d held, all traffic on stable 6b8f: policy images refuses container \"app\": image \"demoapp:latest\" is tagged latest"
  currentPodHash: 7c9d
  stableRS: 6b8f
`
)

// rolloutHealthCases: the health of a Rollout in each situation, as the kit must report it.
var rolloutHealthCases = []struct {
	name        string
	status      string
	want        health
	wantGateOpt *health // with promotionGateHealthy; nil: same as want
}{
	{"no status yet", "", health{"Progressing", "Waiting for Weir to report the Rollout's status"}, nil},
	{"status of an older generation", statusStale, health{"Progressing", "Waiting for Weir to observe generation 3"}, nil},
	{"healthy", statusHealthy, health{"Healthy", "4 pods of revision 6b8f available, all traffic on it"}, nil},
	{"stepping through a timed pause", statusStepping, health{"Progressing", "pausing 5m at 20% before step 3"}, nil},
	{"waiting at pause: {}", statusWaitingForPromotion,
		health{"Suspended", "Waiting for promotion (promote action or kubectl weir promote): waiting at step 10/10 until promoted"},
		&health{"Healthy", "Waiting for promotion: waiting at step 10/10 until promoted"}},
	{"paused by an operator", statusOperatorPause,
		health{"Suspended", "Paused (OperatorPause): paused by alice; resume with 'kubectl weir resume backend'"}, nil},
	{"paused by an analysis error", statusAnalysisError,
		health{"Suspended", "Paused (AnalysisError): analysis backend-7c9d-3 could not query Prometheus"}, nil},
	{"aborted by a failed analysis", statusAnalysisFailed,
		health{"Degraded", "Release aborted (AnalysisFailed): error-rate failed 2 of 10 measurements"}, nil},
	{"aborted by an operator", statusOperatorAbort, health{"Degraded", "Release aborted (OperatorAbort): aborted by argocd"}, nil},
	{"progress deadline exceeded", statusDeadline, health{"Degraded", "no progress for 10m0s while waiting for pods"}, nil},
	{"held by a closed release window: Suspended, also with promotionGateHealthy", statusWindowClosed,
		health{"Suspended", `Held by release policy (ReleaseWindowClosed): release of 7c9d held, all traffic on stable 6b8f: policy no-fridays: release window closed (deny window "no-friday-releases"); opens 2026-12-05T00:00:00Z`}, nil},
	{"an image the policy refuses: Degraded (Git has to change)", statusImageRefused,
		health{"Degraded", `release of 7c9d held, all traffic on stable 6b8f: policy images refuses container "app": image "demoapp:latest" is tagged latest`}, nil},
}

func TestRolloutHealth(t *testing.T) {
	plain, gate := renderKit(t, false), renderKit(t, true)
	for _, c := range rolloutHealthCases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(runHealth(t, plain.rolloutHealth, rollout(t, c.status))).To(Equal(c.want))
			want := c.want
			if c.wantGateOpt != nil {
				want = *c.wantGateOpt
			}
			g.Expect(runHealth(t, gate.rolloutHealth, rollout(t, c.status))).To(Equal(want), "with promotionGateHealthy")
		})
	}
}

// analysisRunHealthCases: the health of an AnalysisRun in each phase.
var analysisRunHealthCases = []struct {
	status string
	want   health
}{
	{"", health{"Progressing", "Waiting for the first measurement"}},
	{"status:\n  phase: Pending\n", health{"Progressing", "Analysis Pending"}},
	{"status:\n  phase: Running\n  message: 3 of 10 measurements\n", health{"Progressing", "3 of 10 measurements"}},
	{"status:\n  phase: Successful\n", health{"Healthy", "Analysis Successful"}},
	{"status:\n  phase: Failed\n  message: error-rate failed\n", health{"Degraded", "error-rate failed"}},
	{"status:\n  phase: Error\n  message: Prometheus unreachable\n", health{"Degraded", "Prometheus unreachable"}},
	{"status:\n  phase: Inconclusive\n  message: no data\n", health{"Suspended", "no data"}},
}

func TestAnalysisRunHealth(t *testing.T) {
	k := renderKit(t, false)
	run := func(status string) map[string]any {
		return object(t, "apiVersion: rollouts.weir.dev/v1alpha1\nkind: AnalysisRun\nmetadata:\n  name: backend-7c9d-3\n"+status)
	}
	for _, c := range analysisRunHealthCases {
		NewWithT(t).Expect(runHealth(t, k.analysisRunHealth, run(c.status))).To(Equal(c.want), c.status)
	}
}

// allActions are the Rollout actions the kit defines, one per operator request.
var allActions = map[string]string{
	"promote": "Promote", "promote-full": "PromoteFull", "abort": "Abort",
	"retry": "Retry", "pause": "Pause", "resume": "Resume",
}

// discoveryCases: enabled lists the actions offered in each state; the others must be disabled. They
// mirror what internal/planner/requests.go accepts.
var discoveryCases = []struct {
	name    string
	status  string
	enabled []string
}{
	{"no status yet", "", nil},
	{"healthy, nothing to release", statusHealthy, nil},
	{"stepping", statusStepping, []string{"abort", "pause", "promote", "promote-full"}},
	{"waiting at pause: {}", statusWaitingForPromotion, []string{"abort", "pause", "promote", "promote-full"}},
	{"paused by an operator", statusOperatorPause, []string{"abort", "promote", "promote-full", "resume"}},
	{"paused by an analysis error", statusAnalysisError, []string{"abort", "promote", "promote-full", "resume"}},
	{"aborted", statusAnalysisFailed, []string{"retry"}},
	{"a request is pending", statusRequestPending, nil},
}

func TestRolloutActionDiscovery(t *testing.T) {
	k := renderKit(t, false)
	g := NewWithT(t)
	g.Expect(slices.Sorted(maps.Keys(k.actions))).To(Equal(slices.Sorted(maps.Keys(allActions))), "a definition per request")

	for _, c := range discoveryCases {
		out, err := runArgoLua(k.discovery, rollout(t, c.status))
		g.Expect(err).NotTo(HaveOccurred(), c.name)
		got := out.(map[string]any)
		g.Expect(slices.Sorted(maps.Keys(got))).To(Equal(slices.Sorted(maps.Keys(allActions))), c.name)
		var enabled []string
		for name, a := range got {
			if a.(map[string]any)["disabled"] == false {
				enabled = append(enabled, name)
			}
		}
		slices.Sort(enabled)
		g.Expect(enabled).To(Equal(c.enabled), c.name)
	}
}

// TestRolloutActions runs each action on a Rollout in every state and checks that it
// changes exactly one thing: status.request, set to the controller's request for it.
func TestRolloutActions(t *testing.T) {
	k := renderKit(t, false)
	for name, action := range allActions {
		for _, status := range []string{"", statusStepping, statusWaitingForPromotion, statusOperatorPause, statusAnalysisFailed} {
			g := NewWithT(t)
			before := time.Now().UTC().Truncate(time.Second)
			out, err := runArgoLua(k.actions[name], rollout(t, status))
			g.Expect(err).NotTo(HaveOccurred(), name)
			after := time.Now().UTC()

			got := out.(map[string]any)
			st := got["status"].(map[string]any)
			req := st["request"].(map[string]any)
			at, err := time.Parse(time.RFC3339, req["at"].(string))
			g.Expect(err).NotTo(HaveOccurred(), "%s: at must be RFC3339 for metav1.Time", name)
			g.Expect(at).To(BeTemporally(">=", before), name)
			g.Expect(at).To(BeTemporally("<=", after), name)
			g.Expect(req).To(Equal(map[string]any{"action": action, "by": "argocd", "at": req["at"]}), name)

			// Everything else is as it was.
			delete(st, "request")
			want := rollout(t, status)
			if status == "" {
				want["status"] = map[string]any{}
			}
			g.Expect(got).To(Equal(want), fmt.Sprintf("%s on %q changed more than status.request", name, status))
		}
	}
}

// TestKitIgnoreDifferences pins the system-level ignoreDifferences: the status of Weir's kinds,
// Weir's label in Services' selectors and Weir's own route rules (Git owns routes and
// Services whole; the traffic guard keeps what Weir holds).
func TestKitIgnoreDifferences(t *testing.T) {
	k := renderKit(t, false)
	g := NewWithT(t)
	want := map[string]map[string]any{
		"resource.customizations.ignoreDifferences.gateway.networking.k8s.io_HTTPRoute": {
			"jqPathExpressions": []any{`.spec.rules[]? | select((.name // "") | startswith("weir-"))`}},
		"resource.customizations.ignoreDifferences.Service": {
			"jqPathExpressions": []any{`.spec.selector["rollouts.weir.dev/pod-template-hash"]`}},
	}
	for _, kind := range []string{"Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"} {
		want["resource.customizations.ignoreDifferences.rollouts.weir.dev_"+kind] = map[string]any{"jsonPointers": []any{"/status"}}
	}
	got := map[string]map[string]any{}
	for key, text := range k.data {
		if strings.HasPrefix(key, "resource.customizations.ignoreDifferences.") {
			var v map[string]any
			g.Expect(yaml.Unmarshal([]byte(text), &v)).To(Succeed(), key)
			got[key] = v
		}
	}
	g.Expect(got).To(Equal(want))
}
