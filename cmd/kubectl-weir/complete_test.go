package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kubectl runs kubectl_complete-weir for `kubectl weir <Tab>`; the script must reach the
// plugin's own completion through PATH, as kubectl's lookup does.
func TestKubectlCompleteScript(t *testing.T) {
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "kubectl-weir"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script, err := filepath.Abs("kubectl_complete-weir")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, "pro")
	cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s pro: %v\n%s", script, err, out)
	}
	if !strings.HasPrefix(string(out), "promote\t") {
		t.Errorf("completion of 'pro' = %q, want promote first", out)
	}
}
