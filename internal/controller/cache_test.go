package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The cache keeps of Services and ReplicaSets only what the reconciler reads: everything
// gather uses must survive the transforms, the bulk must not.
func TestCacheTransformsKeepWhatGatherReads(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web-stable", Namespace: "shop", ResourceVersion: "7", UID: "u1",
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{...}"},
			Labels:      map[string]string{"app": "web"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web", "rollouts.weir.dev/pod-template-hash": "abc"},
			Ports: []corev1.ServicePort{{Port: 80}}, ClusterIP: "10.0.0.1"},
	}
	out, err := keepSelectorOnly(svc)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*corev1.Service)
	if got.Name != "web-stable" || got.Namespace != "shop" || got.ResourceVersion != "7" || got.Spec.Selector["rollouts.weir.dev/pod-template-hash"] != "abc" {
		t.Errorf("lost what gather reads: %+v", got)
	}
	if got.Annotations != nil || got.Labels != nil || got.Spec.Ports != nil || got.Spec.ClusterIP != "" {
		t.Errorf("kept what Weir never reads: %+v", got)
	}

	replicas := int32(3)
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Labels: map[string]string{"rollouts.weir.dev/pod-template-hash": "abc"},
			Annotations: map[string]string{"rollouts.weir.dev/scale-down-at": "2026-01-01T00:00:00.5Z"}},
		Spec: appsv1.ReplicaSetSpec{Replicas: &replicas, Template: corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:2"}}}}},
		Status: appsv1.ReplicaSetStatus{AvailableReplicas: 2},
	}
	if _, err := stripPodTemplate(rs); err != nil {
		t.Fatal(err)
	}
	if *rs.Spec.Replicas != 3 || rs.Status.AvailableReplicas != 2 || rs.Labels["rollouts.weir.dev/pod-template-hash"] != "abc" || scaleDownAt(rs) == nil {
		t.Errorf("lost what gather reads: %+v", rs)
	}
	if rs.Spec.Template.Spec.Containers != nil || rs.Spec.Template.Labels != nil {
		t.Errorf("kept the pod template: %+v", rs.Spec.Template)
	}
}
