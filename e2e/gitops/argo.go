package gitops

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/e2e/stack"
)

// AppState is what Argo CD says of an Application at one moment.
type AppState struct {
	At           time.Time
	Sync         string // Synced, OutOfSync, Unknown
	SyncRevision string // the commit the sync status compares against
	Health       string // the Application's health
	// The backend Rollout's health and message, as the kit's health script gives them.
	RolloutHealth, RolloutMessage string
	// The last sync operation: its phase and the commit it synced.
	OperationPhase, OperationRevision string
	// ReconciledAt is when Argo CD last compared the app with Git (to the second).
	ReconciledAt time.Time
	// History is the number of entries in status.history (argocd app history).
	History int
	// Drifted names the resources Argo CD reports OutOfSync ("Kind/name").
	Drifted []string
}

// String is a one-line summary for failure messages and the demo.
func (s AppState) String() string {
	return fmt.Sprintf("%s sync=%s@%.7s %v health=%s rollout=%s %q operation=%s@%.7s reconciled=%s", s.At.Format("15:04:05.000"), s.Sync, s.SyncRevision, s.Drifted,
		s.Health, s.RolloutHealth, s.RolloutMessage, s.OperationPhase, s.OperationRevision, s.ReconciledAt.Format("15:04:05"))
}

// App reads an Application.
func (p *Platform) App(ctx context.Context, name string) (AppState, error) {
	app := &unstructured.Unstructured{}
	app.SetAPIVersion("argoproj.io/v1alpha1")
	app.SetKind("Application")
	if err := p.Stack.Client.Get(ctx, client.ObjectKey{Namespace: stack.ArgoCDNamespace, Name: name}, app); err != nil {
		return AppState{}, err
	}
	str := func(path ...string) string {
		v, _, _ := unstructured.NestedString(app.Object, path...)
		return v
	}
	st := AppState{At: time.Now(),
		Sync: str("status", "sync", "status"), SyncRevision: str("status", "sync", "revision"),
		Health:         str("status", "health", "status"),
		OperationPhase: str("status", "operationState", "phase"), OperationRevision: str("status", "operationState", "syncResult", "revision"),
	}
	st.ReconciledAt, _ = time.Parse(time.RFC3339, str("status", "reconciledAt"))
	history, _, _ := unstructured.NestedSlice(app.Object, "status", "history")
	st.History = len(history)
	resources, _, _ := unstructured.NestedSlice(app.Object, "status", "resources")
	for _, r := range resources {
		m, _ := r.(map[string]any)
		if m["status"] == "OutOfSync" {
			st.Drifted = append(st.Drifted, fmt.Sprintf("%v/%v", m["kind"], m["name"]))
		}
		if m["kind"] == "Rollout" && m["name"] == "backend" {
			st.RolloutHealth, _, _ = unstructured.NestedString(m, "health", "status")
			st.RolloutMessage, _, _ = unstructured.NestedString(m, "health", "message")
		}
	}
	return st, nil
}

// waitApp waits for an Application's sync and health status.
func (p *Platform) waitApp(ctx context.Context, name, sync, health string, timeout time.Duration) error {
	_, err := p.WaitApp(ctx, name, timeout, func(s AppState) bool { return s.Sync == sync && s.Health == health })
	return err
}

// WaitApp polls an Application every 100 ms until done says so.
func (p *Platform) WaitApp(ctx context.Context, name string, timeout time.Duration, done func(AppState) bool) (AppState, error) {
	deadline := time.Now().Add(timeout)
	var last AppState
	for {
		s, err := p.App(ctx, name)
		if err == nil {
			last = s
			if done(s) {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("application %s: condition not met within %s; last: %s (logs in %s)", name, timeout, last, p.Stack.LogDir)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitRefreshed asks Argo CD to refresh an Application, and again every 3 s, until done
// holds or timeout passes: a request made while a refresh runs is lost (see Notify). Seen
// here: the app of apps' one refresh after an environment's auto-sync went off was lost, and
// its reconciledAt didn't move for two minutes (periodic resyncs don't move it).
func (p *Platform) WaitRefreshed(ctx context.Context, name string, timeout time.Duration, done func(AppState) bool) (AppState, error) {
	var asked time.Time
	return p.WaitApp(ctx, name, timeout, func(s AppState) bool {
		if done(s) {
			return true
		}
		if time.Since(asked) >= 3*time.Second {
			_ = p.Refresh(ctx, name) // an error is the next try's to report
			asked = time.Now()
		}
		return false
	})
}

// Refresh asks Argo CD to look at Git now (what a Git webhook does: the repo server otherwise
// caches a branch's commit for up to 3 minutes).
func (p *Platform) Refresh(ctx context.Context, name string) error {
	app := &unstructured.Unstructured{}
	app.SetAPIVersion("argoproj.io/v1alpha1")
	app.SetKind("Application")
	app.SetNamespace(stack.ArgoCDNamespace)
	app.SetName(name)
	patch := []byte(`{"metadata":{"annotations":{"argocd.argoproj.io/refresh":"normal"}}}`)
	return p.Stack.Client.Patch(ctx, app, client.RawPatch("application/merge-patch+json", patch))
}

// Notify is the Git webhook for a pushed commit: it asks Argo CD to refresh the Application
// and asks again every 3 s until Argo CD compares against that commit (at most 3 minutes). One
// request can be lost: the controller removes the refresh annotation when it finishes a
// refresh, and one set meanwhile is removed with it, unseen (observed here).
func (p *Platform) Notify(ctx context.Context, name, commit string) error {
	if err := p.Refresh(ctx, name); err != nil {
		return err
	}
	go func() {
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			time.Sleep(3 * time.Second)
			if s, err := p.App(ctx, name); err == nil && s.SyncRevision == commit {
				return
			}
			_ = p.Refresh(ctx, name)
		}
	}()
	return nil
}

// Sampler records an Application's state every interval until stopped.
type Sampler struct {
	mu      sync.Mutex
	samples []AppState
	stop    chan struct{}
	done    chan struct{}
}

// SampleInterval is how often a release's Application is sampled (the issue asks ≤ 250 ms).
const SampleInterval = 200 * time.Millisecond

// Sample starts sampling an Application.
func (p *Platform) Sample(name string) *Sampler {
	s := &Sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(SampleInterval)
		defer tick.Stop()
		for {
			if st, err := p.App(context.Background(), name); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, st)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns every sample.
func (s *Sampler) Stop() []AppState {
	close(s.stop)
	<-s.done
	return s.samples
}
