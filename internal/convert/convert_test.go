package convert

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/weir-dev/weir/internal/plugin/lint"
)

var update = flag.Bool("update", false, "rewrite testdata/out from what Convert makes now")

// TestConvertCorpus converts each of the peers' manifests in testdata/in and compares the
// objects and the report with testdata/out (go test -update rewrites them). Every output
// must pass kubectl weir lint; the kubectl weir tests also dry-run it against an API server.
func TestConvertCorpus(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/in/*.yaml")
	if len(inputs) == 0 {
		t.Fatal("no corpus")
	}
	counts := map[string]int{}
	for _, path := range inputs {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Convert([]Input{{Name: path, Data: data}})
			if err != nil {
				t.Fatal(err)
			}
			var out, report bytes.Buffer
			if err := Write(&out, res.Objects, "yaml"); err != nil {
				t.Fatal(err)
			}
			res.Report.Write(&report)
			for _, n := range res.Report {
				counts[n.What]++
			}
			golden(t, "testdata/out/"+name+".yaml", out.Bytes())
			golden(t, "testdata/out/"+name+".report", report.Bytes())
			if r := lint.Lint([]lint.Source{{Name: name + ".yaml", Data: out.Bytes()}}); len(r.Problems) > 0 {
				for _, p := range r.Problems {
					t.Errorf("lint: %s", p)
				}
			}
		})
	}
	t.Logf("corpus: %d files; %d fields translated, %d dropped, %d to decide", len(inputs), counts[Translated], counts[Dropped], counts[Decision])
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/convert -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; got:\n%s", path, got)
	}
}
