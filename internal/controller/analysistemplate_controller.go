package controller

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/provider/registry"
)

// ConditionValid on an (Cluster)AnalysisTemplate says whether its conditions compile and its
// queries refer only to declared arguments.
const ConditionValid = "Valid"

// AnalysisTemplateReconciler surfaces template problems on the template itself, as soon as it
// is applied, rather than when a release first needs it.
type AnalysisTemplateReconciler struct {
	Client  client.Client
	Cluster bool // ClusterAnalysisTemplates instead of AnalysisTemplates
}

// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=analysistemplates/status;clusteranalysistemplates/status,verbs=get;patch;update

// Reconcile validates the template and writes its Valid condition.
func (r *AnalysisTemplateReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var obj client.Object = &weirv1.AnalysisTemplate{}
	if r.Cluster {
		obj = &weirv1.ClusterAnalysisTemplate{}
	}
	if err := r.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	before := obj.DeepCopyObject().(client.Object)
	spec, status := templateParts(obj)
	cond := metav1.Condition{Type: ConditionValid, Status: metav1.ConditionTrue, Reason: weirv1.ReasonAsExpected,
		Message: "conditions compile and queries use declared arguments", ObservedGeneration: obj.GetGeneration()}
	if problems := registry.ValidateTemplate(spec); len(problems) > 0 {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, weirv1.ReasonInvalidSpec, strings.Join(problems, "; ")
	}
	meta.SetStatusCondition(&status.Conditions, cond)
	status.ObservedGeneration = obj.GetGeneration()
	return ctrl.Result{}, client.IgnoreNotFound(r.Client.Status().Patch(ctx, obj, client.MergeFrom(before)))
}

func templateParts(obj client.Object) (*weirv1.AnalysisTemplateSpec, *weirv1.AnalysisTemplateStatus) {
	switch t := obj.(type) {
	case *weirv1.ClusterAnalysisTemplate:
		return &t.Spec, &t.Status
	case *weirv1.AnalysisTemplate:
		return &t.Spec, &t.Status
	}
	panic("not a template")
}

// SetupWithManager registers the reconciler for one of the two kinds.
func (r *AnalysisTemplateReconciler) SetupWithManager(mgr ctrl.Manager) error {
	var obj client.Object = &weirv1.AnalysisTemplate{}
	name := "analysistemplate"
	if r.Cluster {
		obj, name = &weirv1.ClusterAnalysisTemplate{}, "clusteranalysistemplate"
	}
	return ctrl.NewControllerManagedBy(mgr).Named(name).For(obj).Complete(r)
}
