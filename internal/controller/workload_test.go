package controller_test

import (
	"sync"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestWorkloadRefHandsOverWithNoDip: a Rollout that takes its pod template from a running
// Deployment of four pods (workloadRef). Its pods come up; the Deployment goes down by as
// many as are available, never more; the Services keep every pod of the app until the
// Rollout's are all there. Sampled every 50 ms through the whole hand-over, the app's
// available pods (the Deployment's plus the Rollout's) never drop below four. Deleting the
// Rollout scales the Deployment back up first, and the Rollout goes only once its pods are
// available.
func TestWorkloadRefHandsOverWithNoDip(t *testing.T) {
	r := newRelease(t)
	g := r.G
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: r.NS},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](4), Selector: &metav1.LabelSelector{MatchLabels: fixture.Labels("web")},
			Template: fixture.PodTemplate("web", "web:1")}}
	r.Create(dep)
	deployment := func() *appsv1.Deployment {
		var d appsv1.Deployment
		g.Expect(k8s.Get(r.Ctx, client.ObjectKeyFromObject(dep), &d)).To(Succeed())
		return &d
	}
	g.Eventually(func() int32 { return deployment().Status.AvailableReplicas }, timeout, poll).Should(Equal(int32(4)))
	r.Services()
	r.route(nil)

	// Every 50 ms: the app's available pods, and the lowest seen.
	var mu sync.Mutex
	lowest, samples, early, handedOver := int32(1<<30), 0, 0, false
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			var sets appsv1.ReplicaSetList
			if err := k8s.List(r.Ctx, &sets, client.InNamespace(r.NS)); err != nil {
				continue
			}
			var available, ours int32
			for _, rs := range sets.Items {
				available += rs.Status.AvailableReplicas
				if owner := metav1.GetControllerOf(&rs); owner != nil && owner.Kind == "Rollout" {
					ours += rs.Status.AvailableReplicas
				}
			}
			var svc corev1.Service
			narrowed := k8s.Get(r.Ctx, client.ObjectKey{Namespace: r.NS, Name: fixture.StableService("web")}, &svc) == nil &&
				svc.Spec.Selector[revision.HashLabel] != ""
			mu.Lock()
			lowest, samples = min(lowest, available), samples+1
			if narrowed && ours < 4 && !handedOver {
				early++ // the Service left the Deployment's pods before the Rollout's were whole
			}
			mu.Unlock()
		}
	}()

	ro := r.Rollout(4, setWeight(50), pause(""))
	ro.Spec.Template = weirv1.Rollout{}.Spec.Template
	ro.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: "web"}
	// The Rollout's pods count as available 3 s after they are Ready: a Deployment scaled
	// down before that (a big-bang switch) shows as a dip in the samples.
	ro.Spec.MinReadySeconds = 3
	r.Create(ro)
	healthy := r.waitHealthy()
	mu.Lock()
	handedOver = true // from here on the Rollout's pods may come and go as in any release
	mu.Unlock()
	g.Eventually(func() int32 { return ptr.Deref(deployment().Spec.Replicas, -1) }, timeout, poll).Should(Equal(int32(0)))
	g.Expect(r.Selector(fixture.StableService("web"))).To(Equal(healthy.Status.StableRS), "once whole, the Services select the Rollout's revision")
	g.Expect(healthy.Status.StableRS).To(Equal(revision.Hash(&dep.Spec.Template, nil)), "the revision is the Deployment's pod template")
	g.Expect(r.Events()).To(ContainSubstring("WorkloadScaled"))

	// A new pod template in the Deployment is a release of the Rollout.
	g.Eventually(func() error {
		d := deployment()
		d.Spec.Template.Spec.Containers[0].Image = "web:2"
		return k8s.Update(r.Ctx, d)
	}, timeout, poll).Should(Succeed())
	r.phaseIs(weirv1.PhasePaused)
	g.Expect(r.Weights()).To(Equal([2]int32{50, 50}))
	g.Expect(ptr.Deref(deployment().Spec.Replicas, -1)).To(Equal(int32(0)), "the Deployment stays at zero")

	// Deleting the Rollout scales the Deployment back up before the Rollout's pods go.
	g.Expect(k8s.Delete(r.Ctx, r.Get())).To(Succeed())
	g.Eventually(func() int32 { return deployment().Status.AvailableReplicas }, timeout, poll).Should(BeNumerically(">=", 4))
	g.Eventually(func() bool {
		return apierrors.IsNotFound(k8s.Get(r.Ctx, r.Key(), &weirv1.Rollout{}))
	}, timeout, poll).Should(BeTrue(), "the Rollout goes once the Deployment has its pods back")
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	t.Logf("hand-over: %d samples, fewest available pods %d (the Deployment had 4)", samples, lowest)
	g.Expect(samples).To(BeNumerically(">", 10))
	g.Expect(lowest).To(BeNumerically(">=", 4), "the app's available pods dipped during the hand-over")
	g.Expect(early).To(BeZero(), "samples where the stable Service selected only the Rollout's revision before it was whole")
}
