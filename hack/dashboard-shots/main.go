// Command dashboard-shots takes the screenshots of docs/dashboard.md from the demo stack
// (make dashboard-shots, with make demo-up running): it sends traffic to the backend, starts a
// release of demoapp:v2 (a release already under way is kept), waits until its first
// analysis has measured, and has headless Chromium capture the
// overview and the Rollout's page.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard-shots:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := os.Getenv("DEMO_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "weir-demo-stack")
	}
	log, err := os.ReadFile(filepath.Join(dir, "demo.log"))
	if err != nil {
		return fmt.Errorf("no demo stack (run make demo-up first): %w", err)
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+/#/`).FindString(string(log))
	kubeconfig := regexp.MustCompile(`--kubeconfig (\S*admin\.kubeconfig)`).FindStringSubmatch(string(log))
	if url == "" || kubeconfig == nil {
		return fmt.Errorf("the demo log names no dashboard or kubeconfig")
	}
	// Traffic to the backend, so that the analysis has something to measure.
	curl := regexp.MustCompile(`curl -H 'Host: (\S+)' (http://127\.0\.0\.1:[0-9]+/)`).FindStringSubmatch(string(log))
	if curl == nil {
		return fmt.Errorf("the demo log names no gateway")
	}
	go func() {
		for {
			req, _ := http.NewRequest(http.MethodGet, curl[2], nil)
			req.Host = curl[1]
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	kubectl := func(args ...string) (string, error) {
		out, err := exec.Command("bin/kubectl", append([]string{"--kubeconfig", kubeconfig[1], "-n", "blog"}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := kubectl("patch", "rollout", "backend", "--type", "json", "-p",
		`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"demoapp:v2"}]`); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	fmt.Println("waiting for the release's first analysis to measure")
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(time.Second) {
		out, _ := kubectl("get", "analysisruns", "-o", `jsonpath={range .items[*]}{.status.metricResults[0].count}{" "}{end}`)
		n := 0
		for _, f := range strings.Fields(out) {
			v, _ := strconv.Atoi(f)
			n = max(n, v)
		}
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no analysis measured 3 times")
		}
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return err
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1200, 900))...)
	defer cancel()
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	for _, shot := range []struct{ file, url, wait string }{
		{"dashboard-overview.png", url, "#overview tbody tr"},
		{"dashboard-rollout.png", url + "blog/backend", ".analysis circle"},
	} {
		if err := chromedp.Do(browser, chromedp.Navigate(shot.url), chromedp.WaitVisible(shot.wait)); err != nil {
			return err
		}
		png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
		if err != nil {
			return err
		}
		path := filepath.Join("docs", "images", shot.file)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			return err
		}
		fmt.Println(path)
	}
	return nil
}
