package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Prometheus is a real Prometheus server (Debian's package) on 127.0.0.1, scraping its
// targets every second.
type Prometheus struct {
	URL     string
	bin     string
	dir     string
	address string
	proc    *Process
}

// StartPrometheus starts Prometheus scraping the given host:port targets.
func StartPrometheus(targets ...string) (*Prometheus, error) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		return nil, fmt.Errorf("prometheus not found on PATH: 'make tools' installs Debian's prometheus package")
	}
	dir, err := os.MkdirTemp("", "weir-prometheus-")
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(targets))
	for i, t := range targets {
		quoted[i] = fmt.Sprintf("%q", t)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: test
    static_configs:
      - targets: [%s]
`, strings.Join(quoted, ", "))
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		return nil, err
	}
	p := &Prometheus{bin: bin, dir: dir, address: fmt.Sprintf("127.0.0.1:%d", port)}
	p.URL = "http://" + p.address
	return p, p.Start()
}

// Start (re)starts the server on the same address and storage.
func (p *Prometheus) Start() error {
	proc, err := StartProcess(p.bin, p.dir, "prometheus",
		"--config.file="+filepath.Join(p.dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(p.dir, "data"),
		"--web.listen-address="+p.address,
		"--web.enable-lifecycle")
	if err != nil {
		return err
	}
	p.proc = proc
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if proc.Exited() {
			return fmt.Errorf("prometheus exited:\n%s", proc.Tail())
		}
		if resp, err := http.Get(p.URL + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("prometheus not ready after a minute:\n%s", proc.Tail())
}

// Stop stops the server (its data stays for a restart).
func (p *Prometheus) Stop() {
	if p.proc != nil {
		p.proc.Stop()
		p.proc = nil
	}
}

// Close stops the server and removes its data.
func (p *Prometheus) Close() {
	p.Stop()
	os.RemoveAll(p.dir)
}

// FreePorts are n different free loopback ports.
func FreePorts(n int) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for len(out) < n {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// FreePort returns a TCP port free on 127.0.0.1 right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
