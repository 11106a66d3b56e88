package planner

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestRevisionNumbers: a new revision's number is one above every number given before, the
// pruned ones too (they are remembered in status), and asking again before the ReplicaSet
// is seen gives the same number (issue 14, defect 7).
func TestRevisionNumbers(t *testing.T) {
	numbered := func(r ReplicaSet, n int64) ReplicaSet { r.Revision = n; return r }
	cases := []struct {
		name    string
		rs      []ReplicaSet
		newest  *weirv1.RevisionNumber
		want    int64
		wantRec *weirv1.RevisionNumber
	}{
		{"first revision of a new Rollout", nil, nil, 1, &weirv1.RevisionNumber{Hash: "v2", Number: 1}},
		{"one above the ReplicaSets'", []ReplicaSet{numbered(rs("v1", 2), 3)}, nil, 4, &weirv1.RevisionNumber{Hash: "v2", Number: 4}},
		{"one above a pruned revision remembered in status", []ReplicaSet{numbered(rs("v1", 2), 3)},
			&weirv1.RevisionNumber{Hash: "v9", Number: 7}, 8, &weirv1.RevisionNumber{Hash: "v2", Number: 8}},
		{"asked again before the ReplicaSet is seen: the same number", []ReplicaSet{numbered(rs("v1", 2), 3)},
			&weirv1.RevisionNumber{Hash: "v2", Number: 4}, 4, &weirv1.RevisionNumber{Hash: "v2", Number: 4}},
		{"the ReplicaSet exists: no new number", []ReplicaSet{numbered(rs("v1", 2), 3), numbered(rs("v2", 1), 4)},
			&weirv1.RevisionNumber{Hash: "v2", Number: 4}, 0, &weirv1.RevisionNumber{Hash: "v2", Number: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := releasing(0)
			st.NewestRevision = tc.newest
			if tc.rs == nil {
				st = weirv1.RolloutStatus{}
			}
			p := Decide(world{replicas: 2, current: "v2", steps: []weirv1.CanaryStep{setWeight(20)}, status: st, rs: tc.rs, canarySv: "v1", weights: w(100, 0)}.input())
			if p.NewRevision != tc.want {
				t.Errorf("NewRevision %d, want %d", p.NewRevision, tc.want)
			}
			if diff := cmp.Diff(tc.wantRec, p.Status.NewestRevision); diff != "" {
				t.Errorf("status.newestRevision (-want +got):\n%s", diff)
			}
		})
	}
}
