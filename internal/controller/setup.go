package controller

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
)

// NewScheme knows the kinds Weir reads and writes.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gatewayv1.Install, weirv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}

// CacheOptions keep the informer caches small: only ReplicaSets that carry Weir's hash label
// (not every ReplicaSet of every Deployment in the cluster), and no managedFields anywhere.
func CacheOptions() cache.Options {
	hasHash, err := labels.NewRequirement(revision.HashLabel, selection.Exists, nil)
	if err != nil {
		panic(err)
	}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.ReplicaSet{}: {Label: labels.NewSelector().Add(*hasHash), Transform: stripPodTemplate},
		},
	}
}

// stripPodTemplate drops the pod spec of cached ReplicaSets: Weir reads their labels, size
// and status, never their template (it patches them with diffs, creates them from the
// Rollout), and the template is most of their memory.
func stripPodTemplate(obj any) (any, error) {
	if rs, ok := obj.(*appsv1.ReplicaSet); ok {
		rs.ManagedFields = nil
		rs.Spec.Template.Spec = corev1.PodSpec{}
	}
	return obj, nil
}

// Setup registers every Weir reconciler with the manager.
func Setup(mgr ctrl.Manager) error {
	// Every write, not only server-side applies, is recorded under Weir's field manager.
	c := client.WithFieldOwner(mgr.GetClient(), FieldManager)
	if err := (&RolloutReconciler{
		Client:   c,
		Recorder: mgr.GetEventRecorder("weir-controller"),
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	for _, cluster := range []bool{false, true} {
		if err := (&AnalysisTemplateReconciler{Client: c, Cluster: cluster}).SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return (&AnalysisRunReconciler{Client: c}).SetupWithManager(mgr)
}
