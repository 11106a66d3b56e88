package packaging

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/gomega"

	"sigs.k8s.io/yaml"

	"github.com/weir-dev/weir/internal/testenv"
)

// realArgoCD is the Argo CD binary hack/argocd.sh builds, with the kit merged into an
// argocd-cm as docs/gitops.md tells a user to: `argocd admin settings resource-overrides`
// then runs the kit's scripts in Argo CD's own Lua VM, exactly as the application
// controller and the API server do.
type realArgoCD struct {
	bin, cm, dir string
}

func newRealArgoCD(t *testing.T, k kit) realArgoCD {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(testenv.BinDir(root), "argocd")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s not found: run 'make tools' (hack/argocd.sh) first", bin)
	}
	dir := t.TempDir()
	cm, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "argocd-cm", "namespace": "argocd", "labels": map[string]any{"app.kubernetes.io/part-of": "argocd"}},
		"data":     k.data})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "argocd-cm.yaml")
	if err := os.WriteFile(path, cm, 0o600); err != nil {
		t.Fatal(err)
	}
	return realArgoCD{bin: bin, cm: path, dir: dir}
}

// run runs `argocd admin settings resource-overrides <verb> <object file> [args]` on obj.
func (a realArgoCD) run(t *testing.T, obj map[string]any, verb string, args ...string) (string, error) {
	t.Helper()
	raw, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(a.dir, "object.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(a.bin, append([]string{"admin", "settings", "resource-overrides", verb, file}, append(args, "--argocd-cm-path", a.cm)...)...)
	cmd.Env = append(os.Environ(), "HOME="+a.dir, "KUBECONFIG="+filepath.Join(a.dir, "none"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// health reads `argocd admin settings resource-overrides health`: STATUS and MESSAGE lines.
func (a realArgoCD) health(t *testing.T, obj map[string]any) health {
	t.Helper()
	out, err := a.run(t, obj, "health")
	if err != nil {
		t.Fatalf("argocd health: %v\n%s", err, out)
	}
	var h health
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "STATUS: "); ok {
			h.Status = v
		}
		if v, ok := strings.CutPrefix(line, "MESSAGE: "); ok {
			h.Message = v
		}
	}
	return h
}

// TestKitHealthInArgoCD: Argo CD's own health assessment, with the kit in argocd-cm, reports
// every situation as the kit's tests expect (issue 15: the kit checked in a real Argo CD).
func TestKitHealthInArgoCD(t *testing.T) {
	plain, gate := newRealArgoCD(t, renderKit(t, false)), newRealArgoCD(t, renderKit(t, true))
	for _, c := range rolloutHealthCases {
		t.Run(c.name, func(t *testing.T) {
			g := NewWithT(t)
			g.Expect(plain.health(t, rollout(t, c.status))).To(Equal(c.want))
			want := c.want
			if c.wantGateOpt != nil {
				want = *c.wantGateOpt
			}
			g.Expect(gate.health(t, rollout(t, c.status))).To(Equal(want), "with promotionGateHealthy")
		})
	}
	for _, c := range analysisRunHealthCases {
		run := object(t, "apiVersion: rollouts.weir.dev/v1alpha1\nkind: AnalysisRun\nmetadata:\n  name: backend-7c9d-3\n"+c.status)
		NewWithT(t).Expect(plain.health(t, run)).To(Equal(c.want), c.status)
	}
}

// TestKitActionsInArgoCD: Argo CD lists the kit's actions enabled or disabled as the
// planner's request rules say, and running each one in Argo CD changes exactly
// status.request (the six actions once failed in a real Argo CD: its Lua has no global os).
func TestKitActionsInArgoCD(t *testing.T) {
	a := newRealArgoCD(t, renderKit(t, false))
	for _, c := range discoveryCases {
		out, err := a.run(t, rollout(t, c.status), "list-actions")
		NewWithT(t).Expect(err).NotTo(HaveOccurred(), "%s: %s", c.name, out)
		var enabled, listed []string
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) != 2 || f[0] == "NAME" || (f[1] != "true" && f[1] != "false") {
				continue
			}
			listed = append(listed, f[0])
			if f[1] == "false" {
				enabled = append(enabled, f[0])
			}
		}
		slices.Sort(listed)
		slices.Sort(enabled)
		NewWithT(t).Expect(listed).To(Equal(slices.Sorted(maps.Keys(allActions))), c.name)
		NewWithT(t).Expect(enabled).To(Equal(c.enabled), c.name)
	}
	for name, action := range allActions {
		for _, status := range []string{statusStepping, statusOperatorPause, statusAnalysisFailed} {
			g := NewWithT(t)
			before := time.Now().UTC().Truncate(time.Second)
			out, err := a.run(t, rollout(t, status), "run-action", name)
			g.Expect(err).NotTo(HaveOccurred(), "%s: %s", name, out)
			// The diff Argo CD prints: only added lines, and they are status.request.
			var added []string
			for _, line := range strings.Split(out, "\n") {
				g.Expect(line).NotTo(HavePrefix("<"), "%s removed or changed a field: %s", name, out)
				if v, ok := strings.CutPrefix(line, "> "); ok {
					added = append(added, strings.TrimSpace(v))
				}
			}
			g.Expect(added).To(HaveLen(4), "%s: %s", name, out)
			g.Expect(added[0]).To(Equal("request:"), out)
			g.Expect(added[1:]).To(ContainElements("action: "+action, "by: argocd"), out)
			var at string
			for _, l := range added[1:] {
				if v, ok := strings.CutPrefix(l, "at: "); ok {
					at = strings.Trim(v, `"`)
				}
			}
			when, err := time.Parse(time.RFC3339, at)
			g.Expect(err).NotTo(HaveOccurred(), "%s: at must be RFC3339 for metav1.Time: %s", name, out)
			g.Expect(when).To(BeTemporally(">=", before), name)
			g.Expect(when).To(BeTemporally("<=", time.Now().UTC()), name)
		}
	}
}
