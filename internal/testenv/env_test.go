package testenv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// TestPodsBecomeReady checks the harness's promise to controller tests: a ReplicaSet gets
// pods from kube-controller-manager, kube-scheduler binds them and kwok makes them Ready.
func TestPodsBecomeReady(t *testing.T) {
	g := NewWithT(t)
	env, err := testenv.Start(testenv.Options{Pods: true})
	g.Expect(err).NotTo(HaveOccurred())
	defer env.Stop()

	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: "default"},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: fixture.Labels("probe")},
			Template: fixture.PodTemplate("probe", "probe:1"),
		},
	}
	ctx := context.Background()
	g.Expect(env.Client.Create(ctx, rs)).To(Succeed())
	g.Eventually(func() int32 {
		_ = env.Client.Get(ctx, client.ObjectKeyFromObject(rs), rs)
		return rs.Status.ReadyReplicas
	}, 2*time.Minute, 200*time.Millisecond).Should(Equal(int32(3)), func() string {
		var pods corev1.PodList
		_ = env.Client.List(ctx, &pods)
		out := "logs in " + env.LogDir
		for _, p := range pods.Items {
			out += fmt.Sprintf("\npod %s node=%q phase=%s conditions=%v", p.Name, p.Spec.NodeName, p.Status.Phase, p.Status.Conditions)
		}
		return out
	})
}
