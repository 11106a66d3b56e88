package controller

import (
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/provider"
	"github.com/weir-dev/weir/internal/provider/prometheus"
	"github.com/weir-dev/weir/internal/provider/web"
	"github.com/weir-dev/weir/internal/revision"
)

// InstanceIDLabel on a Rollout assigns it to the controller started with that --instance-id;
// controllers without one leave such Rollouts alone (several Weir installations can share a
// cluster, e.g. while a new version is tried). Weir copies it onto the AnalysisRuns it creates
// for that Rollout, and each installation watches only the runs of its own scope.
const InstanceIDLabel = "rollouts.weir.dev/instance-id"

// Scope says what one controller installation watches.
type Scope struct {
	// Namespaces to watch; empty means all.
	Namespaces []string
	// InstanceID selects the Rollouts labelled with it; empty selects unlabelled ones.
	InstanceID string
}

// CacheOptionsFor is CacheOptions limited to a scope.
func CacheOptionsFor(scope Scope) cache.Options {
	opts := CacheOptions()
	if len(scope.Namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range scope.Namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	op, values := selection.DoesNotExist, []string(nil)
	if scope.InstanceID != "" {
		op, values = selection.Equals, []string{scope.InstanceID}
	}
	req, err := labels.NewRequirement(InstanceIDLabel, op, values)
	if err != nil {
		panic(err)
	}
	// AnalysisRuns carry their Rollout's instance label (buildAnalysisRun), so each
	// installation measures only its own runs.
	scoped := labels.NewSelector().Add(*req)
	opts.ByObject[&weirv1.Rollout{}] = cache.ByObject{Label: scoped}
	opts.ByObject[&weirv1.AnalysisRun{}] = cache.ByObject{Label: scoped}
	return opts
}

// CacheOptions keep the informer caches small: only ReplicaSets that carry Weir's hash label
// (not every ReplicaSet of every Deployment in the cluster), and no managedFields anywhere.
func CacheOptions() cache.Options {
	hasHash, err := labels.NewRequirement(revision.HashLabel, selection.Exists, nil)
	if err != nil {
		panic(err)
	}
	measurement, err := labels.NewRequirement(weirv1.MeasurementRunLabel, selection.Exists, nil)
	if err != nil {
		panic(err)
	}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.ReplicaSet{}: {Label: labels.NewSelector().Add(*hasHash), Transform: stripPodTemplate},
			// Every Service of the cluster is cached (Weir can't label users' Services), so
			// each must cost little.
			&corev1.Service{}: {Transform: keepSelectorOnly},
			// Jobs of measurements only, not every Job of the cluster.
			&batchv1.Job{}: {Label: labels.NewSelector().Add(*measurement)},
		},
	}
}

// stripPodTemplate drops the pod template of cached ReplicaSets: Weir reads their labels,
// size and status, never their template (it patches them with diffs, creates them from the
// Rollout), and the template is most of their memory.
func stripPodTemplate(obj any) (any, error) {
	if rs, ok := obj.(*appsv1.ReplicaSet); ok {
		rs.ManagedFields = nil
		rs.Spec.Template = corev1.PodTemplateSpec{}
	}
	return obj, nil
}

// keepSelectorOnly keeps of a cached Service what Weir reads: its identity and selector.
// Weir changes Services only by server-side apply of the selector, never from the cached
// copy, so nothing stripped here can be written back.
func keepSelectorOnly(obj any) (any, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	return &corev1.Service{
		TypeMeta: svc.TypeMeta,
		ObjectMeta: metav1.ObjectMeta{
			Name: svc.Name, Namespace: svc.Namespace, UID: svc.UID, ResourceVersion: svc.ResourceVersion,
			Generation: svc.Generation, CreationTimestamp: svc.CreationTimestamp, DeletionTimestamp: svc.DeletionTimestamp,
		},
		Spec: corev1.ServiceSpec{Selector: svc.Spec.Selector},
	}, nil
}

// Options tune the reconcilers.
type Options struct {
	// AllowedPrometheusAddresses, when not empty, are the only address prefixes analysis
	// may query; a template naming another address ends in Error.
	AllowedPrometheusAddresses []string
	// AllowedWebAddresses are the same for the web provider's URLs.
	AllowedWebAddresses []string
	// RolloutWorkers reconcile different Rollouts in parallel (default 8).
	RolloutWorkers int
}

// Setup registers every Weir reconciler with the manager.
func Setup(mgr ctrl.Manager) error { return SetupWith(mgr, Options{}) }

// SetupWith registers every Weir reconciler with the manager, tuned by opts.
func SetupWith(mgr ctrl.Manager, opts Options) error {
	// Every write, not only server-side applies, is recorded under Weir's field manager.
	c := client.WithFieldOwner(mgr.GetClient(), FieldManager)
	if err := (&RolloutReconciler{
		Client:    c,
		Recorder:  mgr.GetEventRecorder("weir-controller"),
		Workers:   opts.RolloutWorkers,
		APIReader: mgr.GetAPIReader(),
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	for _, cluster := range []bool{false, true} {
		if err := (&AnalysisTemplateReconciler{Client: c, Cluster: cluster}).SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return (&AnalysisRunReconciler{Client: c, Allowed: AllowLists(opts)}).SetupWithManager(mgr)
}

// AllowLists are the options' address allow-lists by provider, with the flag of each.
func AllowLists(opts Options) map[string]provider.AllowList {
	return map[string]provider.AllowList{
		prometheus.Name: {Flag: "--allowed-prometheus-addresses", Prefixes: opts.AllowedPrometheusAddresses},
		web.Name:        {Flag: "--allowed-web-addresses", Prefixes: opts.AllowedWebAddresses},
	}
}
