package controller

import (
	"errors"
	"fmt"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestOnlyConflicts: an HTTPRoute conflict after a restart is a retry, not an error to log
// at error level; anything else joined with it still is (issue 14, defect 11).
func TestOnlyConflicts(t *testing.T) {
	conflict := fmt.Errorf("HTTPRoute web changed while Weir set its weights (retrying): %w",
		apierrors.NewConflict(schema.GroupResource{Group: "gateway.networking.k8s.io", Resource: "httproutes"}, "web", errors.New("modified")))
	other := errors.New(`services "web-stable" is forbidden`)
	cases := []struct {
		err  error
		want bool
	}{
		{errors.Join(nil, errors.Join(conflict), errors.Join()), true},
		{conflict, true},
		{errors.Join(errors.Join(conflict), errors.Join(other)), false},
		{other, false},
		{errors.Join(), false},
	}
	for i, tc := range cases {
		if got := onlyConflicts(tc.err); got != tc.want {
			t.Errorf("case %d (%v): %v, want %v", i, tc.err, got, tc.want)
		}
	}
}
