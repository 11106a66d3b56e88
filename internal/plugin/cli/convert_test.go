package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestConvertOutputPassesAServerDryRun: kubectl weir convert of every manifest of the peers'
// corpus (internal/convert/testdata/in) prints objects a real API server accepts, with the
// Weir and Gateway API CRDs installed (a server dry run), and the report on stderr.
func TestConvertOutputPassesAServerDryRun(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	ctx := context.Background()
	files, _ := filepath.Glob("../../convert/testdata/in/*.yaml")
	g.Expect(files).NotTo(BeEmpty())
	for _, file := range files {
		res := weir("convert", file, "-o", "json")
		g.Expect(res.code).To(Equal(0), res.String())
		g.Expect(res.err).To(ContainSubstring("translated,"), "the report's last line counts the notes")
		var list struct{ Items []map[string]any }
		g.Expect(json.Unmarshal([]byte(res.out), &list)).To(Succeed())
		g.Expect(list.Items).NotTo(BeEmpty())
		ns, err := fixture.Namespace(ctx, k8s, "convert")
		g.Expect(err).NotTo(HaveOccurred())
		for _, item := range list.Items {
			obj := &unstructured.Unstructured{Object: item}
			if obj.GetKind() != "ClusterAnalysisTemplate" {
				obj.SetNamespace(ns)
			}
			g.Expect(k8s.Create(ctx, obj, client.DryRunAll)).To(Succeed(), "%s: %s %s", filepath.Base(file), obj.GetKind(), obj.GetName())
		}
	}
}

// TestConvertReadsDirectoriesAndStdin: a directory is read whole, and '-' is standard input.
func TestConvertReadsDirectoriesAndStdin(t *testing.T) {
	t.Parallel()
	g := NewWithT(t)
	dir := weir("convert", "../../convert/testdata/in", "-q")
	g.Expect(dir.code).To(Equal(0), dir.String())
	g.Expect(dir.err).To(BeEmpty(), "-q: no report")
	files, _ := filepath.Glob("../../convert/testdata/in/*.yaml")
	g.Expect(strings.Count(dir.out, "\nkind: Rollout\n")).To(Equal(len(files)), "one Rollout for each file of the corpus")

	stdin := invocation{stdin: ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: x}\nspec:\n  paused: true\n  template: {spec: {containers: [{name: x, image: x:1}]}}\n")}.run("convert", "-")
	g.Expect(stdin.code).To(Equal(0), stdin.String())
	g.Expect(stdin.out).To(ContainSubstring("kind: Rollout"))
	g.Expect(stdin.err).To(ContainSubstring("dropped    argoproj.io Rollout x spec.paused: a pause is a request in Weir's status"))
	g.Expect(stdin.err).To(ContainSubstring("decide     argoproj.io Rollout x spec.strategy: no canary or blueGreen strategy"))

	bad := weir("convert", "../../convert/testdata/in", "-o", "xml")
	g.Expect(bad.code).To(Equal(1))
	g.Expect(bad.err).To(ContainSubstring(`unknown output format "xml"`))
}
