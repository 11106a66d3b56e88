package planner

import (
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// BenchmarkDecide measures one decision, the pure part of every reconcile, in the states a
// release spends most reconciles in (go test -bench Decide -benchmem ./internal/planner).
func BenchmarkDecide(b *testing.B) {
	four := []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()}
	worlds := map[string]world{
		"steady": {replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"},
			rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)},
		"timed-pause": {replicas: 4, current: "v2", steps: four, status: releasing(1),
			rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
		"waiting-for-pods": {replicas: 4, current: "v2", steps: four, status: releasing(2),
			rs: []ReplicaSet{rs("v1", 4), rsAvail("v2", 2, 1)}, canarySv: "v2", weights: w(80, 20)},
	}
	for name, wd := range worlds {
		in := wd.input()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = Decide(in)
			}
		})
	}
}
