package nodeagent

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// NodeName is the Node the agent registers.
const NodeName = "e2e-node"

// Agent runs the Pods bound to its Node as local processes.
type Agent struct {
	c       client.Client
	demoapp string
	logDir  string

	done chan struct{}

	mu     sync.Mutex
	pods   map[types.UID]*podProcess
	nextIP int
	proxy  *serviceProxy
}

type podProcess struct {
	key    client.ObjectKey
	labels map[string]string
	ip     string
	port   int32
	cmd    *exec.Cmd
	ready  bool
	done   chan struct{}
}

// Start registers the Node and runs the agent until ctx ends.
func Start(ctx context.Context, c client.Client, demoapp, logDir string) (*Agent, error) {
	a := &Agent{c: c, demoapp: demoapp, logDir: logDir, pods: map[types.UID]*podProcess{}, done: make(chan struct{})}
	a.proxy = newServiceProxy(c, a.readyBackends)
	if err := a.registerNode(ctx); err != nil {
		return nil, err
	}
	go a.loop(ctx)
	go a.proxy.run(ctx)
	return a, nil
}

// Wait returns once the agent has stopped its processes after its context ended.
func (a *Agent) Wait() { <-a.done }

func (a *Agent) registerNode(ctx context.Context) error {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods: resource.MustParse("500"),
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: NodeName, Labels: map[string]string{"kubernetes.io/hostname": NodeName}},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity,
			Conditions: []corev1.NodeCondition{readyCondition()},
			Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}},
	}
	if err := a.c.Create(ctx, node); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return a.heartbeat(ctx)
}

func readyCondition() corev1.NodeCondition {
	now := metav1.Now()
	return corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "e2e node agent", LastHeartbeatTime: now, LastTransitionTime: now}
}

// heartbeat renews the node's Lease and Ready condition so the node lifecycle controller
// keeps it Ready.
func (a *Agent) heartbeat(ctx context.Context) error {
	var node corev1.Node
	if err := a.c.Get(ctx, client.ObjectKey{Name: NodeName}, &node); err != nil {
		return err
	}
	node.Status.Conditions = []corev1.NodeCondition{readyCondition()}
	if err := a.c.Status().Update(ctx, &node); err != nil {
		return err
	}
	lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: NodeName, Namespace: corev1.NamespaceNodeLease}}
	err := a.c.Get(ctx, client.ObjectKeyFromObject(lease), lease)
	renew := metav1.NewMicroTime(time.Now())
	lease.Spec = coordinationv1.LeaseSpec{HolderIdentity: ptr.To(NodeName), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &renew}
	if apierrors.IsNotFound(err) {
		return a.c.Create(ctx, lease)
	} else if err != nil {
		return err
	}
	return a.c.Update(ctx, lease)
}

func (a *Agent) loop(ctx context.Context) {
	beat := time.NewTicker(10 * time.Second)
	defer beat.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			a.stopAll()
			close(a.done)
			return
		case <-beat.C:
			_ = a.heartbeat(ctx)
		case <-tick.C:
			a.syncPods(ctx)
		}
	}
}

// syncPods starts processes for new Pods, reports readiness, and finishes deleted Pods.
func (a *Agent) syncPods(ctx context.Context) {
	var pods corev1.PodList
	if err := a.c.List(ctx, &pods, client.MatchingFields{"spec.nodeName": NodeName}); err != nil {
		return
	}
	seen := map[types.UID]bool{}
	for i := range pods.Items {
		pod := &pods.Items[i]
		seen[pod.UID] = true
		a.mu.Lock()
		p := a.pods[pod.UID]
		a.mu.Unlock()
		switch {
		case pod.DeletionTimestamp != nil:
			if p != nil {
				a.kill(pod.UID, p)
			}
			_ = a.c.Delete(ctx, pod, client.GracePeriodSeconds(0))
		case p == nil:
			a.startPod(ctx, pod)
		case !p.ready && probe(p):
			a.mu.Lock()
			p.ready = true
			a.mu.Unlock()
			_ = a.writeStatus(ctx, pod, p)
		}
	}
	a.mu.Lock()
	var gone []types.UID
	for uid := range a.pods {
		if !seen[uid] {
			gone = append(gone, uid)
		}
	}
	a.mu.Unlock()
	for _, uid := range gone {
		a.kill(uid, a.pods[uid])
	}
}

func (a *Agent) startPod(ctx context.Context, pod *corev1.Pod) {
	if len(pod.Spec.Containers) == 0 {
		return
	}
	c := pod.Spec.Containers[0]
	port := int32(8080)
	if len(c.Ports) > 0 {
		port = c.Ports[0].ContainerPort
	}
	a.mu.Lock()
	a.nextIP++
	ip := fmt.Sprintf("127.1.%d.%d", a.nextIP/250, a.nextIP%250+1)
	a.mu.Unlock()
	args := []string{"--listen", fmt.Sprintf("%s:%d", ip, port), "--version", imageTag(c.Image)}
	for _, e := range c.Env {
		switch e.Name {
		case "ERROR_RATE":
			args = append(args, "--error-rate", e.Value)
		case "LATENCY":
			args = append(args, "--latency", e.Value)
		}
	}
	logFile, err := os.Create(filepath.Join(a.logDir, "pod-"+pod.Namespace+"-"+pod.Name+".log"))
	if err != nil {
		return
	}
	cmd := exec.Command(a.demoapp, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return
	}
	p := &podProcess{key: client.ObjectKeyFromObject(pod), labels: pod.Labels, ip: ip, port: port, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logFile.Close(); close(p.done) }()
	a.mu.Lock()
	a.pods[pod.UID] = p
	a.mu.Unlock()
	_ = a.writeStatus(ctx, pod, p)
}

// writeStatus reports the Pod Running with its IP, Ready once its /healthz answered.
func (a *Agent) writeStatus(ctx context.Context, pod *corev1.Pod, p *podProcess) error {
	ready := corev1.ConditionFalse
	if p.ready {
		ready = corev1.ConditionTrue
	}
	now := metav1.Now()
	started := metav1.NewTime(time.Now())
	pod.Status = corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "127.0.0.1",
		PodIP:     p.ip,
		PodIPs:    []corev1.PodIP{{IP: p.ip}},
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: ready, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: ready, LastTransitionTime: now},
		},
		ContainerStatuses: []corev1.ContainerStatus{{
			Name: pod.Spec.Containers[0].Name, Image: pod.Spec.Containers[0].Image, Ready: p.ready, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}},
		}},
	}
	return a.c.Status().Update(ctx, pod)
}

func probe(p *podProcess) bool {
	client := http.Client{Timeout: 500 * time.Millisecond}
	resp, err := client.Get(fmt.Sprintf("http://%s:%d/healthz", p.ip, p.port))
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (a *Agent) kill(uid types.UID, p *podProcess) {
	a.mu.Lock()
	delete(a.pods, uid)
	a.mu.Unlock()
	if p == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

func (a *Agent) stopAll() {
	a.mu.Lock()
	pods := a.pods
	a.pods = map[types.UID]*podProcess{}
	a.mu.Unlock()
	for _, p := range pods {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	a.proxy.close()
}

// readyBackends returns the addresses of the ready pods in ns whose labels match selector.
func (a *Agent) readyBackends(ns string, selector map[string]string, port int32) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, p := range a.pods {
		if !p.ready || p.key.Namespace != ns || len(selector) == 0 {
			continue
		}
		match := true
		for k, v := range selector {
			if p.labels[k] != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, fmt.Sprintf("%s:%d", p.ip, p.port))
		}
	}
	return out
}

// imageTag is the tag of an image reference ("demoapp:v2" → "v2"), or "latest".
func imageTag(image string) string {
	if i := strings.LastIndex(image, ":"); i > 0 && !strings.Contains(image[i:], "/") {
		return image[i+1:]
	}
	return "latest"
}
