// Package dashboard is `kubectl weir dashboard`: a web page served on 127.0.0.1 that shows
// every Rollout and one Rollout's release (steps, weights, analysis measurements against
// their conditions, revisions, Events) and writes the same status requests as the plugin.
// Every read and write uses the person's own kubeconfig and RBAC: the server has no identity
// of its own. The page is plain HTML, CSS and JavaScript embedded in the binary, plots drawn
// as SVG, with no third-party code: nothing to fetch at run time, nothing to keep patched.
package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
	"github.com/weir-dev/weir/internal/plugin/ops"
	"github.com/weir-dev/weir/internal/revision"
)

//go:embed assets
var assets embed.FS

// Server serves the dashboard for one kubeconfig identity.
type Server struct {
	Client client.WithWatch
	// Namespace limits the dashboard to one namespace; "" shows all.
	Namespace string
	// User names the person the API server knows (written into requests as "by").
	User func(context.Context) string
	Now  func() time.Time

	mu sync.Mutex
	// subscribers get the key of each Rollout that changed.
	subscribers map[chan string]struct{}
}

// Handler is the dashboard's HTTP handler.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/overview", s.overview)
	mux.HandleFunc("GET /api/rollouts/{namespace}/{name}", s.detail)
	mux.HandleFunc("POST /api/rollouts/{namespace}/{name}/request", s.request)
	mux.HandleFunc("GET /api/changes", s.changes)
	return mux
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	var list weirv1.RolloutList
	if err := s.Client.List(r.Context(), &list, client.InNamespace(s.Namespace)); err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, OverviewOf(list.Items))
}

func (s *Server) detail(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	t, err := kube.FetchTree(r.Context(), s.Client, ns, name)
	if err != nil {
		httpError(w, err)
		return
	}
	events, err := s.events(r.Context(), t.Rollout)
	if err != nil {
		httpError(w, err)
		return
	}
	pods, err := s.pods(r.Context(), t)
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, DetailOf(t, pods, events, s.Now()))
}

// request writes a status request, as kubectl weir does: refused with the controller's rules
// first, then patched with an optimistic lock.
func (s *Server) request(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Action string `json:"action"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
		return
	}
	by := "dashboard"
	if s.User != nil {
		by = s.User(r.Context())
	}
	next, err := ops.Request(r.Context(), s.Client, r.PathValue("namespace"), r.PathValue("name"), weirv1.RequestAction(body.Action), by, s.Now())
	var refused *ops.Refused
	if errors.As(err, &refused) {
		w.WriteHeader(http.StatusConflict)
		writeJSON(w, map[string]string{"refused": refused.Reason})
		return
	}
	if err != nil {
		httpError(w, err)
		return
	}
	writeJSON(w, map[string]string{"next": next, "by": by})
}

// changes streams, as server-sent events, the key of every Rollout that changes: the page
// reloads what it shows of it. One watch serves every open page.
func (s *Server) changes(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	ch := make(chan string, 64)
	s.mu.Lock()
	if s.subscribers == nil {
		s.subscribers = map[chan string]struct{}{}
	}
	s.subscribers[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subscribers, ch)
		s.mu.Unlock()
	}()
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case key := <-ch:
			fmt.Fprintf(w, "event: rollout\ndata: %s\n\n", key)
			flusher.Flush()
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		}
	}
}

// Watch follows the Rollouts until ctx ends and tells the open pages which one changed. It
// re-opens the watch when the API server ends it.
func (s *Server) Watch(ctx context.Context) {
	for ctx.Err() == nil {
		s.watchOnce(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Server) watchOnce(ctx context.Context) {
	var list weirv1.RolloutList
	w, err := s.Client.Watch(ctx, &list, client.InNamespace(s.Namespace))
	if err != nil {
		return
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ro, ok := ev.Object.(*weirv1.Rollout); ok {
			s.publish(ro.Namespace + "/" + ro.Name)
		}
	}
}

func (s *Server) publish(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subscribers {
		select {
		case ch <- key:
		default: // a slow page misses a notice; its next one reloads everything it shows
		}
	}
}

// pods are the pods of each of the Rollout's ReplicaSets, by ReplicaSet name, with readiness.
func (s *Server) pods(ctx context.Context, t *kube.Tree) (map[string][]Pod, error) {
	sel, err := kube.ReplicaSetSelector(t.Rollout)
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	if err := s.Client.List(ctx, &list, client.InNamespace(t.Rollout.Namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return nil, err
	}
	byHash := map[string]string{}
	for _, rs := range t.ReplicaSets {
		byHash[rs.Labels[revision.HashLabel]] = rs.Name
	}
	out := map[string][]Pod{}
	for _, p := range list.Items {
		rs, ok := byHash[p.Labels[revision.HashLabel]]
		if !ok || p.DeletionTimestamp != nil {
			continue
		}
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue
		}
		out[rs] = append(out[rs], Pod{Name: p.Name, Ready: ready})
	}
	for rs := range out {
		sort.Slice(out[rs], func(i, j int) bool { return out[rs][i].Name < out[rs][j].Name })
	}
	return out, nil
}

// events are the Rollout's Events, oldest first.
func (s *Server) events(ctx context.Context, ro *weirv1.Rollout) ([]Event, error) {
	var list corev1.EventList
	if err := s.Client.List(ctx, &list, client.InNamespace(ro.Namespace),
		client.MatchingFields{"involvedObject.name": ro.Name, "involvedObject.kind": "Rollout"}); err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(list.Items))
	for _, e := range list.Items {
		at := e.LastTimestamp.Time
		if at.IsZero() {
			at = e.EventTime.Time
		}
		out = append(out, Event{At: at, Type: e.Type, Reason: e.Reason, Message: e.Message})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, err error) {
	http.Error(w, err.Error(), http.StatusBadGateway)
}
