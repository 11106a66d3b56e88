package planner

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// The old stable revision's scale-down time lives in status.scaleDowns: written when the
// release completes, honoured while it runs, dropped once the revision has no pods.
func TestScaleDowns(t *testing.T) {
	four := []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()}
	entry := func(hash string, at time.Time) []weirv1.ScaleDown {
		return []weirv1.ScaleDown{{Revision: hash, At: metav1.NewMicroTime(at)}}
	}
	healthy := func(downs []weirv1.ScaleDown) weirv1.RolloutStatus {
		return weirv1.RolloutStatus{StableRS: "v2", CurrentPodHash: "v2", ScaleDowns: downs}
	}
	gone := rs("v1", 0)
	gone.Total, gone.Available, gone.Ready = 0, 0, 0
	draining := rs("v1", 0)
	draining.Total = 1
	legacy := rs("v1", 2)
	legacy.ScaleDownAt = ptr.To(t0.Add(3 * time.Second))
	cases := []struct {
		name      string
		world     world
		wantScale int32 // of v1
		want      []weirv1.ScaleDown
		requeue   time.Duration
	}{
		{"release completes: the old stable is kept for scaleDownDelaySeconds (30 s default)",
			world{replicas: 2, current: "v2", steps: four, status: releasing(4), rs: []ReplicaSet{rs("v1", 2), rs("v2", 2)}, canarySv: "v2", weights: w(0, 100)},
			2, entry("v1", t0.Add(30*time.Second)), 0},
		{"within the delay: kept at its size, woken when it ends",
			world{replicas: 2, current: "v2", status: healthy(entry("v1", t0.Add(5*time.Second))), rs: []ReplicaSet{rs("v2", 2), rs("v1", 2)}, canarySv: "v2", weights: w(100, 0)},
			2, entry("v1", t0.Add(5*time.Second)), 5 * time.Second},
		{"delay over: scaled to zero, entry kept while its pods go",
			world{replicas: 2, current: "v2", status: healthy(entry("v1", t0.Add(-time.Second))), rs: []ReplicaSet{rs("v2", 2), rs("v1", 2)}, canarySv: "v2", weights: w(100, 0)},
			0, entry("v1", t0.Add(-time.Second)), 0},
		{"still a pod terminating: entry kept",
			world{replicas: 2, current: "v2", status: healthy(entry("v1", t0.Add(-time.Second))), rs: []ReplicaSet{rs("v2", 2), draining}, canarySv: "v2", weights: w(100, 0)},
			0, entry("v1", t0.Add(-time.Second)), 0},
		{"no pods left: entry dropped",
			world{replicas: 2, current: "v2", status: healthy(entry("v1", t0.Add(-time.Second))), rs: []ReplicaSet{rs("v2", 2), gone}, canarySv: "v2", weights: w(100, 0)},
			0, nil, 0},
		{"ReplicaSet deleted: entry dropped",
			world{replicas: 2, current: "v2", status: healthy(entry("v1", t0.Add(time.Minute))), rs: []ReplicaSet{rs("v2", 2)}, canarySv: "v2", weights: w(100, 0)},
			-1, nil, 0},
		{"annotation of an older Weir still honoured",
			world{replicas: 2, current: "v2", status: healthy(nil), rs: []ReplicaSet{rs("v2", 2), legacy}, canarySv: "v2", weights: w(100, 0)},
			2, nil, 3 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Decide(tc.world.input())
			if got, ok := p.Scale["v1"]; tc.wantScale >= 0 && (!ok || got != tc.wantScale) {
				t.Errorf("v1 scaled to %d (set %v), want %d", got, ok, tc.wantScale)
			}
			if len(p.Status.ScaleDowns) != len(tc.want) {
				t.Fatalf("scaleDowns %+v, want %+v", p.Status.ScaleDowns, tc.want)
			}
			for i := range tc.want {
				if g, w := p.Status.ScaleDowns[i], tc.want[i]; g.Revision != w.Revision || !g.At.Equal(&w.At) {
					t.Errorf("scaleDowns[%d] = %s at %s, want %s at %s", i, g.Revision, g.At, w.Revision, w.At)
				}
			}
			if tc.requeue != 0 && (p.RequeueAfter != tc.requeue || !p.Punctual) {
				t.Errorf("requeue %s (punctual %v), want %s on time", p.RequeueAfter, p.Punctual, tc.requeue)
			}
		})
	}
}
