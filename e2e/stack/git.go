package stack

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/weir-dev/weir/internal/testenv"
)

// GitServer is `git daemon` on 127.0.0.1 serving bare repositories read-only to Argo CD, with
// a working clone that tests commit in and push from (over the file system).
type GitServer struct {
	// Work is the working clone of the repository.
	Work string
	port int
	base string
	proc *testenv.Process
}

// StartGitServer creates the bare repository name.git and serves it.
func StartGitServer(logDir, name string) (*GitServer, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	g := &GitServer{port: port, base: filepath.Join(logDir, "git"), Work: filepath.Join(logDir, "git-work", name)}
	if err := os.MkdirAll(g.base, 0o755); err != nil {
		return nil, err
	}
	if _, err := g.git(g.base, "init", "--bare", "--initial-branch=main", name+".git"); err != nil {
		return nil, err
	}
	if _, err := g.git(g.base, "clone", filepath.Join(g.base, name+".git"), g.Work); err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{{"user.name", "Weir CI"}, {"user.email", "ci@weir.dev"}, {"commit.gpgsign", "false"}} {
		if _, err := g.Git("config", kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	g.proc, err = testenv.StartProcess(gitPath(), logDir, "git-daemon", "daemon",
		"--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), "--base-path="+g.base, "--export-all", "--reuseaddr", g.base)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return g, nil
		}
		if g.proc.Exited() || time.Now().After(deadline) {
			return nil, fmt.Errorf("git daemon did not start:\n%s", g.proc.Tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// URL is the repository's address for Argo CD.
func (g *GitServer) URL(name string) string {
	return fmt.Sprintf("git://127.0.0.1:%d/%s.git", g.port, name)
}

// Git runs git in the working clone and returns its trimmed output.
func (g *GitServer) Git(args ...string) (string, error) { return g.git(g.Work, args...) }

// Head is the commit a branch of the working clone points at.
func (g *GitServer) Head(branch string) string {
	out, _ := g.Git("rev-parse", branch)
	return out
}

func (g *GitServer) git(dir string, args ...string) (string, error) {
	cmd := exec.Command(gitPath(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// Stop stops the daemon.
func (g *GitServer) Stop() {
	if g.proc != nil {
		g.proc.Stop()
	}
}

func gitPath() string {
	if p, err := exec.LookPath("git"); err == nil {
		return p
	}
	return "git"
}
