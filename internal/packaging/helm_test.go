package packaging

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/weir-dev/weir/internal/testenv"
)

// kubeVersion is the Kubernetes version of the tests' control plane (hack/tools.sh).
const kubeVersion = "v1.37.2"

// repoPath is a path inside the repository, whatever the test's working directory.
func repoPath(t testing.TB, parts ...string) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{root}, parts...)...)
}

// release is what `helm template NAME CHART -n NAMESPACE -f FILE… --set …` is given.
type release struct {
	chart      string   // chart directory, relative to the repository root
	name       string   // release name
	namespace  string   // release namespace
	valueFiles []string // relative to the chart directory, merged in order like -f
	values     map[string]any
}

// rendered is a chart's output: its objects in file order, and every file's text.
type rendered struct {
	objects []*unstructured.Unstructured
	files   map[string]string
}

// render renders a chart with Helm's engine exactly as `helm template` does: user values
// merged over the chart's values.yaml, checked against values.schema.json, then every
// template rendered. NOTES.txt is left out, as Helm leaves it out of the manifest.
func render(t testing.TB, r release) (*rendered, error) {
	t.Helper()
	dir := repoPath(t, r.chart)
	chrt, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", r.chart, err)
	}
	user := map[string]any{}
	for _, f := range r.valueFiles {
		vals, err := chartutil.ReadValuesFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		user = mergeValues(user, vals)
	}
	user = mergeValues(user, r.values)
	// As `helm install` against the control plane the tests run (hack/tools.sh): the chart's
	// kubeVersion must admit it, and templates see it as .Capabilities.KubeVersion.
	caps := chartutil.DefaultCapabilities.Copy()
	caps.KubeVersion = chartutil.KubeVersion{Version: kubeVersion, Major: "1", Minor: "37"}
	if c := chrt.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, kubeVersion) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, which %s is not", c, kubeVersion)
	}
	top, err := chartutil.ToRenderValues(chrt, user,
		chartutil.ReleaseOptions{Name: r.name, Namespace: r.namespace, Revision: 1, IsInstall: true}, caps)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, top)
	if err != nil {
		return nil, err
	}
	out := &rendered{files: files}
	for _, name := range templateOrder(files) {
		objs, err := decodeManifests(files[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out.objects = append(out.objects, objs...)
	}
	return out, nil
}

// templateOrder lists the rendered manifests in a stable order, NOTES.txt and partials left out.
func templateOrder(files map[string]string) []string {
	var names []string
	for name := range files {
		base := filepath.Base(name)
		if base == "NOTES.txt" || strings.HasPrefix(base, "_") {
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// mergeValues merges src over dst like Helm merges -f files: maps deeply, anything else
// (lists included) replaced whole.
func mergeValues(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst))
	for k, v := range dst {
		out[k] = v
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// decodeManifests splits a YAML stream into objects, skipping empty documents.
func decodeManifests(text string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewBufferString(text), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// find returns the rendered object of that kind and name, failing the test when absent.
func (r *rendered) find(t testing.TB, kind, name string) *unstructured.Unstructured {
	t.Helper()
	for _, o := range r.objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %q rendered; have %s", kind, name, r.names())
	return nil
}

func (r *rendered) ofKind(kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range r.objects {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func (r *rendered) names() string {
	var s []string
	for _, o := range r.objects {
		s = append(s, o.GetKind()+"/"+o.GetName())
	}
	return strings.Join(s, ", ")
}
