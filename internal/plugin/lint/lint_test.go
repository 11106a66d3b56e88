package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintFiles: every good file passes; every bad file gets exactly the problems listed,
// each at its line, in file order. A listed problem matches by prefix, so long messages
// (a CEL compiler's) need only their start.
func TestLintFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"good-rollout.yaml", nil},
		{"good-template.yaml", nil},
		{"good-mixed.yaml", nil},
		{"good-bluegreen.yaml", nil},
		{"bad-rollout.yaml", []string{
			"bad-rollout.yaml:7: spec.progressDeadlineSeconds: should be greater than or equal to 1",
			"bad-rollout.yaml:8: spec.minReadySecs: unknown field",
			"bad-rollout.yaml:12: spec.selector.matchLabels[tier]: tier=front is not among spec.template.metadata.labels",
			"bad-rollout.yaml:22: spec.strategy.canary.trafficRouting: setHeaderRoute and setMirrorRoute steps need canary.trafficRouting with httpRoutes (grpcRoutes carry weights only)",
			`bad-rollout.yaml:24: spec.strategy.canary.canaryService: canary.stableService and canary.canaryService must name different Services (both are "web")`,
			`bad-rollout.yaml:25: spec.strategy.canary.maxSurge: "lots" must be a non-negative number or a percentage such as 25%`,
			"bad-rollout.yaml:27: spec.strategy.canary.steps[0].setWeight: setWeight must be between 0 and 100, not 120",
			`bad-rollout.yaml:28: spec.strategy.canary.steps[1].pause.duration: "5 minutes" is not a duration such as 500ms, 30s, 5m or 1h30m`,
			"bad-rollout.yaml:29: spec.strategy.canary.steps[2]: a step must set exactly one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale (this one sets 2)",
			"bad-rollout.yaml:31: spec.strategy.canary.steps[3]: a step must set exactly one of setWeight, pause, analysis, setHeaderRoute, setMirrorRoute, setCanaryScale (this one sets 0)",
			`bad-rollout.yaml:33: spec.strategy.canary.steps[4].setMirrorRoute.name: "Shadow" must be lower-case letters`,
			"bad-rollout.yaml:36: spec.strategy.canary.analysis.startingStep: canary.analysis.startingStep (9) must not be greater than the number of steps (5)",
		}},
		{"bad-canary-scale.yaml", []string{
			"bad-canary-scale.yaml:23: spec.strategy.canary.steps[0]: at this step (setHeaderRoute beta) the header rule beta would send requests to a canary with no pods (no weight and no setCanaryScale in force); add a step such as setCanaryScale: {replicas: 1} before it",
			"bad-canary-scale.yaml:27: spec.strategy.canary.steps[1].setCanaryScale: setCanaryScale needs exactly one of replicas, weight, or matchTrafficWeight: true",
			"bad-canary-scale.yaml:54: spec.strategy.canary.trafficRouting: setCanaryScale steps need canary.trafficRouting: without routes the canary's share of pods is its share of traffic",
		}},
		{"bad-strategy.yaml", []string{
			"bad-strategy.yaml:17: spec.strategy: set exactly one of strategy.canary or strategy.blueGreen, not both",
			"bad-strategy.yaml:30: spec.metrics: an analysis template needs at least one metric",
			`bad-strategy.yaml:32: apiVersion: rollouts.weir.dev has no version "v1beta1"; use rollouts.weir.dev/v1alpha1`,
			`bad-strategy.yaml:38: kind: "Rolout" is not a kind of rollouts.weir.dev`,
			"bad-strategy.yaml:44: metadata.name: a Rollout needs a name",
			`bad-strategy.yaml:61: spec.strategy.blueGreen.previewService: blueGreen.activeService and blueGreen.previewService must name different Services (both are "bg")`,
		}},
		{"policy-images.yaml", []string{
			`policy-images.yaml:26: spec.windows.allow[0].timeZone: unknown time zone "Europe/Berln": every release the policy selects would be held`,
			`policy-images.yaml:45: spec.template.spec.containers[0].image: ReleasePolicy prod-rules (policy-images.yaml:3) refuses it: image "registry.example/backend:latest" is tagged latest; a release of it would never start`,
		}},
		{"bad-syntax.yaml", []string{
			"bad-syntax.yaml:7: not valid YAML: yaml: line 7: mapping values are not allowed in this context",
		}},
		{"bad-template.yaml", []string{
			"bad-template.yaml:9: spec.metrics[0].interval: a metric with count greater than 1 needs an interval",
			`bad-template.yaml:11: spec.metrics[0].successCondition: "result <" does not compile: ERROR: <input>:1:9: Syntax error`,
			`bad-template.yaml:14: spec.metrics[0].provider.prometheus.address: prometheus.address must start with http:// or https://`,
			`bad-template.yaml:14: spec.metrics[0].provider.prometheus.address: prometheus.address must be a URL with a host`,
			"bad-template.yaml:15: spec.metrics[0].provider.prometheus.query: {{args.svc}} is not declared in spec.args",
			"bad-template.yaml:16: spec.metrics[1]: a metric needs successCondition or failureCondition (or dryRun: true)",
			`bad-template.yaml:17: spec.metrics[1].interval: "10 s" is not a duration`,
			"bad-template.yaml:19: spec.metrics[1].provider.prometheus.query: Required value",
			`bad-template.yaml:21: spec.metrics[2].name: metric name "error-rate" is already used by spec.metrics[0]`,
			"bad-template.yaml:21: spec.metrics[2].provider: provider needs exactly one of prometheus, judge, web or job",
			"bad-template.yaml:23: spec.metrics[2].provdier: unknown field",
		}},
		{"bad-types.yaml", []string{
			`bad-types.yaml:6: spec.replicas: must be of type integer: "string"`,
			`bad-types.yaml:23: spec.strategy.canary.steps[0].setWeight: must be of type integer: "string"`,
			`bad-types.yaml:32: spec.metrics[0].onNoData: Unsupported value: "Never"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "testdata", "lint", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			r := Lint([]Source{{Name: tt.file, Data: data}})
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s…", i, got[i], tt.want[i])
				}
				if strings.Contains(got[i], "\n") {
					t.Errorf("problem %d spans lines: %q", i, got[i])
				}
			}
			if tt.want == nil && r.Checked == 0 {
				t.Errorf("no Weir document checked in %s", tt.file)
			}
		})
	}
}

// TestLintSkipsOtherKinds: Services, routes and Argo Rollouts in the same stream are not ours.
func TestLintSkipsOtherKinds(t *testing.T) {
	src := "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: a}\nspec: {}\n---\napiVersion: v1\nkind: ConfigMap\n"
	r := Lint([]Source{{Name: "x", Data: []byte(src)}})
	if len(r.Problems) != 0 || r.Checked != 0 || r.Skipped != 2 {
		t.Fatalf("got %+v", r)
	}
}

// TestLineOf resolves field paths, including map keys and paths deeper than the document.
func TestLineOf(t *testing.T) {
	src := "spec:\n  selector:\n    matchLabels:\n      app: web\n  steps:\n    - setWeight: 1\n    - pause: {}\n"
	doc := mustNode(t, src)
	for path, want := range map[string]int{
		"spec.selector.matchLabels[app]": 4,
		"spec.steps[1]":                  7,
		"spec.steps[1].pause.duration":   7,
		"spec.steps[0].setWeight":        6,
		"spec.nothing.here":              1,
	} {
		if got := lineOf(doc, path); got != want {
			t.Errorf("lineOf(%s) = %d, want %d", path, got, want)
		}
	}
}

// TestEmbeddedCRDsAreCurrent: lint must judge with the CRDs the cluster gets.
func TestEmbeddedCRDsAreCurrent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "config", "crd", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs in config/crd: %v", err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := crdFiles.ReadFile("crds/" + filepath.Base(f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("internal/plugin/lint/crds/%s is not config/crd's: run 'go generate ./internal/plugin/lint'", filepath.Base(f))
		}
	}
	if _, err := loadSchemas(); err != nil {
		t.Fatal(err)
	}
}
