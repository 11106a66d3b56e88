package planner

import (
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// SelectorsFirst: only when the stable Service moves to the current revision do the
// Services go before the routes; everywhere else the routes go first.
func TestWriteOrder(t *testing.T) {
	four := []weirv1.CanaryStep{setWeight(20), pauseFor("10s"), setWeight(50), pauseForever()}
	cases := []struct {
		name  string
		world world
		want  bool
	}{
		{"release completes: the stable Service moves to the new revision first",
			world{replicas: 4, current: "v2", steps: four, status: releasing(4), rs: []ReplicaSet{rs("v1", 4), rs("v2", 4)}, canarySv: "v2", weights: w(0, 100)},
			true},
		{"abort: the routes pull the canary's weight first",
			world{replicas: 4, current: "v2", steps: four, status: releasing(3, request(weirv1.RequestAbort)), rs: []ReplicaSet{rs("v1", 4), rs("v2", 2)}, canarySv: "v2", weights: w(50, 50)},
			false},
		{"mid-release: the routes first",
			world{replicas: 4, current: "v2", steps: four, status: releasing(1), rs: []ReplicaSet{rs("v1", 4), rs("v2", 1)}, canarySv: "v2", weights: w(80, 20)},
			false},
		{"steady, stable Service already on the current revision",
			world{replicas: 4, current: "v1", status: weirv1.RolloutStatus{StableRS: "v1", CurrentPodHash: "v1"}, rs: []ReplicaSet{rs("v1", 4)}, canarySv: "v1", weights: w(100, 0)},
			false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Decide(tc.world.input()).SelectorsFirst; got != tc.want {
				t.Errorf("SelectorsFirst = %v, want %v", got, tc.want)
			}
		})
	}
}
