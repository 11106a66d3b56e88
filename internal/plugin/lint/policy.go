package lint

import (
	"encoding/json"
	"fmt"

	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
)

// policyRules checks what the CRD can't: that each window's time zone exists (the
// controller would hold every release the policy selects).
func policyRules(data []byte, out *[]finding) error {
	var p weirv1.ReleasePolicy
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	if _, err := planner.Windows(p.Spec.Windows, time.Time{}); err != nil {
		field, msg, _ := strings.Cut(err.Error(), ": ")
		*out = append(*out, finding{field, msg + ": every release the policy selects would be held"})
	}
	return nil
}

// linted is a document kept for the checks across documents.
type linted struct {
	file string
	root *yaml.Node
	data []byte
}

// crossCheck applies the ReleasePolicies among the documents to the Rollouts among them:
// an image a policy refuses is reported at the Rollout's image line (the release would never
// start). A document without a namespace is taken to be in any (a chart's templates).
func crossCheck(docs map[string][]linted, r *Result) {
	for _, pd := range docs["ReleasePolicy"] {
		var p weirv1.ReleasePolicy
		if json.Unmarshal(pd.data, &p) != nil || p.Spec.Images == nil {
			continue
		}
		for _, rd := range docs["Rollout"] {
			var ro weirv1.Rollout
			if json.Unmarshal(rd.data, &ro) != nil || !sameNamespace(p.Namespace, ro.Namespace) || !planner.PolicySelects(&p, ro.Labels) {
				continue
			}
			for i, c := range ro.Spec.Template.Spec.Containers {
				if why := planner.RefusedImage(p.Spec.Images, c.Image); why != "" {
					field := fmt.Sprintf("spec.template.spec.containers[%d].image", i)
					r.Problems = append(r.Problems, Problem{File: rd.file, Line: lineOf(rd.root, field), Field: field,
						Message: fmt.Sprintf("ReleasePolicy %s (%s:%d) refuses it: %s; a release of it would never start", p.Name, pd.file, pd.root.Line, why)})
				}
			}
		}
	}
}

func sameNamespace(a, b string) bool { return a == "" || b == "" || a == b }
