package cli

import (
	"strings"
	"testing"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/ops"
)

// TestEveryActionHasItsCommand: each request the dashboard offers is a verb of kubectl
// weir under the same name (promote --full a flag of promote).
func TestEveryActionHasItsCommand(t *testing.T) {
	verbs := map[string]bool{}
	for _, v := range requestVerbs {
		verbs[strings.Fields(v.use)[0]] = true
		if got := ops.Command(v.action); got != strings.Fields(v.use)[0] {
			t.Errorf("verb %q writes %s, whose command is %q", v.use, v.action, got)
		}
	}
	for _, a := range ops.Actions {
		if !verbs[strings.Fields(ops.Command(a))[0]] {
			t.Errorf("action %s has no command", a)
		}
	}
	if ops.Command(weirv1.RequestPromoteFull) != "promote --full" {
		t.Errorf("promote --full: %q", ops.Command(weirv1.RequestPromoteFull))
	}
}
