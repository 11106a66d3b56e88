package controller

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/planner"
	"github.com/weir-dev/weir/internal/routing/registry"
)

// FieldManager is the server-side apply manager of every field Weir writes on objects it
// doesn't own (route rules, Service selectors). GitOps tools can ignore its fields with
// managedFieldsManagers.
const FieldManager = "weir"

// indexReferences finds the Rollouts that name an object: one index for Services, routes
// of every kind and workloadRef Deployments alike, keyed "Service/<name>",
// "Deployment/<name>", and for routes (which may be in another namespace)
// "HTTPRoute/<namespace>/<name>", "GRPCRoute/<namespace>/<name>" (each index costs memory
// per Rollout in the cache).
const indexReferences = "weir.spec.references"

// RolloutReconciler releases Rollouts.
type RolloutReconciler struct {
	Client   client.Client
	Recorder recorder.EventRecorder
	// Now is the clock (tests may replace it).
	Now func() time.Time
	// Workers reconcile different Rollouts in parallel (default 8).
	Workers int
	// APIReader reads from the API server, not the cache: the ReleasePolicies are read so
	// before a release is let start (see gatherPolicies).
	APIReader client.Reader

	written writtenVersions
	held    heldStatuses
}

// cacheCatchUp is how soon a reconcile that found the cache behind Weir's own status write
// looks again.
const cacheCatchUp = 5 * time.Millisecond

// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=rollouts,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=rollouts/finalizers,verbs=update
// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=rollouts/status,verbs=get;patch;update
// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=analysisruns,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=rollouts.weir.dev,resources=analysistemplates;clusteranalysistemplates,verbs=get;list;watch
// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=coordination.k8s.io,resources=leases,verbs=get;list;watch;create;update;patch;delete

// Reconcile gathers, decides, applies and writes the status once.
func (r *RolloutReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ro weirv1.Rollout
	if err := r.Client.Get(ctx, req.NamespacedName, &ro); err != nil {
		r.written.forget(req.NamespacedName)
		r.held.release(req.NamespacedName)
		if apierrors.IsNotFound(err) {
			forgetRollout(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if r.written.behind(req.NamespacedName, ro.ResourceVersion, time.Now()) { // wall clock: it bounds real waiting
		return ctrl.Result{RequeueAfter: cacheCatchUp}, nil
	}
	switch deleting, ours := !ro.DeletionTimestamp.IsZero(), controllerutil.ContainsFinalizer(&ro, RestoreFinalizer); {
	case deleting && !ours:
		return ctrl.Result{}, nil // owned objects go with it through garbage collection
	case !deleting && !ours:
		// Before anything else, so that a Rollout deleted at any later moment gives its
		// routes and Services back first.
		if err := r.patchFinalizers(ctx, &ro, controllerutil.AddFinalizer); apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil // changed meanwhile: an ordinary retry
		} else if err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	obs, err := r.gather(ctx, &ro)
	if err != nil {
		return ctrl.Result{}, err
	}
	if obs.collision {
		return r.bumpCollisionCount(ctx, &ro)
	}
	started := time.Now()
	plan := planner.Decide(obs.input)
	timeDecision(started)
	logDecision(ctx, &ro, &plan)
	applyErr := r.apply(ctx, &ro, obs, &plan)
	// Never write what didn't change; a change the plan says can wait is held a moment.
	changed := !equality.Semantic.DeepEqual(ro.Status, plan.Status)
	var held time.Duration // how much longer the status may go unwritten
	if changed && plan.StatusCanWait && applyErr == nil {
		held = r.held.hold(req.NamespacedName, time.Now()) // wall clock: it bounds real waiting
	}
	if held == 0 {
		r.held.release(req.NamespacedName)
	}
	before := ro.Status
	if changed && held == 0 {
		if err := r.writeStatus(ctx, &ro, plan.Status); apierrors.IsConflict(err) {
			// Read from a cache that was behind, or an operator request arrived meanwhile:
			// decide again from the newer object.
			return ctrl.Result{Requeue: true}, nil
		} else if err != nil {
			return ctrl.Result{}, err
		}
	}
	observeRollout(&ro, before, plan.Status)
	// Events only once the decision is recorded: a retried decision must not repeat them.
	for _, e := range plan.Events {
		kind := corev1.EventTypeNormal
		if e.Warning {
			kind = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(&ro, nil, kind, e.Reason, "Release", "%s", e.Message)
	}
	if applyErr != nil && onlyConflicts(applyErr) {
		// Someone else wrote a route or a Service between Weir's read and its write (after a
		// restart, often Weir itself): an ordinary retry, not an error to alert on.
		ctrl.LoggerFrom(ctx).V(1).Info("an object changed while Weir wrote it; deciding again", "error", applyErr.Error())
		return ctrl.Result{Requeue: true}, nil
	}
	if applyErr != nil {
		return ctrl.Result{}, applyErr
	}
	if plan.ReleaseFinalizer {
		if err := r.patchFinalizers(ctx, &ro, controllerutil.RemoveFinalizer); apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil
		} else if err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		return ctrl.Result{}, nil
	}
	res := ctrl.Result{}
	if plan.RequeueAfter > 0 {
		// The plan counted from when the world was observed; writing it took time, and a
		// pause must end when it ends, not that much later.
		res.RequeueAfter = max(plan.RequeueAfter-r.Now().Sub(obs.input.Now), time.Millisecond)
	}
	if plan.Punctual {
		res.Priority = ptr.To(punctualPriority)
	}
	if held > 0 && (res.RequeueAfter == 0 || held < res.RequeueAfter) {
		// The verification's own event usually comes first; this writes the held status if
		// it doesn't. (A promised time further off is asked for again by that decision.)
		res.RequeueAfter, res.Priority = held, nil
	}
	return res, nil
}

// punctualPriority puts a Rollout whose pause or delay ends ahead of the queued reconciles
// that events caused (priority 0): those have no deadline, a pause has.
const punctualPriority = 10

// writeStatus writes the decided status in one request, guarded by the resourceVersion that
// was read: an operator request written meanwhile makes it conflict and the reconcile retry,
// so requests are never lost. Callers write only a status that changed.
//
// It is a PUT of the status subresource, not a merge patch: the guard is the same, and
// kube-apiserver then has no patch to apply (encoding the stored object to JSON, merging,
// decoding it again), which was an eighth of what a Rollout status write cost it at 500
// releases (docs/benchmarks.md). Only status is taken from the body.
func (r *RolloutReconciler) writeStatus(ctx context.Context, ro *weirv1.Rollout, status weirv1.RolloutStatus) error {
	updated := ro.DeepCopy()
	updated.Status = status
	if err := r.Client.Status().Update(ctx, updated); err != nil {
		return err
	}
	r.written.wrote(client.ObjectKeyFromObject(ro), updated.ResourceVersion, time.Now())
	ro.ResourceVersion = updated.ResourceVersion // what a later write of this reconcile is guarded by
	return nil
}

// RestoreFinalizer keeps a deleted Rollout until Weir has given back what it changed on
// others' objects: all traffic on the stable Service, the Services' selectors without Weir's
// hash label (planner: deleting).
const RestoreFinalizer = "rollouts.weir.dev/restore-traffic"

// patchFinalizers adds or removes Weir's finalizer, guarded by the resourceVersion read (the
// list is replaced whole: another controller's finalizer added meanwhile must not be lost).
func (r *RolloutReconciler) patchFinalizers(ctx context.Context, ro *weirv1.Rollout, change func(client.Object, string) bool) error {
	patch := client.MergeFromWithOptions(ro.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if !change(ro, RestoreFinalizer) {
		return nil
	}
	return r.Client.Patch(ctx, ro, patch)
}

func (r *RolloutReconciler) bumpCollisionCount(ctx context.Context, ro *weirv1.Rollout) (ctrl.Result, error) {
	status := ro.Status.DeepCopy()
	n := int32(1)
	if status.CollisionCount != nil {
		n = *status.CollisionCount + 1
	}
	status.CollisionCount = &n
	return ctrl.Result{Requeue: true}, r.writeStatus(ctx, ro, *status)
}

// SetupWithManager registers the reconciler and what wakes it: its own objects, and the
// Services and HTTPRoutes its Rollouts name (so a third party's edit is undone in seconds).
func (r *RolloutReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Workers == 0 {
		r.Workers = 8
	}
	ctx := context.Background()
	idx := mgr.GetFieldIndexer()
	if err := idx.IndexField(ctx, &weirv1.Rollout{}, indexReferences, func(o client.Object) []string {
		ro := o.(*weirv1.Rollout)
		var keys []string
		for _, name := range referencedServices(ro) {
			keys = append(keys, "Service/"+name)
		}
		for _, n := range registry.RoutesOf(ro.Spec.Strategy) {
			keys = append(keys, routeKey(n.Router.Kind(), n.Ref.NamespaceOr(ro.Namespace), n.Ref.Name))
		}
		if ref := ro.Spec.WorkloadRef; ref != nil {
			keys = append(keys, "Deployment/"+ref.Name)
		}
		return keys
	}); err != nil {
		return err
	}
	b := ctrl.NewControllerManagedBy(mgr).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.Workers}).
		For(&weirv1.Rollout{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, statusRequestChanged(), deletionStarted()))).
		Owns(&appsv1.ReplicaSet{}).
		Owns(&weirv1.AnalysisRun{}).
		Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsNaming("Service"))).
		// Metadata only: every Deployment of the cluster is watched for the few a workloadRef
		// names (gatherWorkload reads those whole).
		Watches(&appsv1.Deployment{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsNaming("Deployment")), builder.OnlyMetadata)
	for _, router := range registry.All {
		b = b.Watches(router.New(), handler.EnqueueRequestsFromMapFunc(r.rolloutsRouting(router.Kind())))
	}
	return b.
		Watches(&weirv1.AnalysisTemplate{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsInNamespace)).
		Watches(&weirv1.ClusterAnalysisTemplate{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsUsingClusterTemplate)).
		Watches(&weirv1.ReleasePolicy{}, handler.EnqueueRequestsFromMapFunc(r.rolloutsSelectedBy)).
		Watches(&weirv1.Rollout{}, handler.EnqueueRequestsFromMapFunc(r.downstreamsOf), builder.WithPredicates(healthyHistoryChanged())).
		Complete(r)
}

// statusRequestChanged wakes the reconciler when an operator writes a request into status
// (status writes don't change the generation).
func statusRequestChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		n, ok := e.ObjectNew.(*weirv1.Rollout)
		return ok && n.Status.Request != nil
	}}
}

// deletionStarted wakes the reconciler when a Rollout is deleted (it gives traffic back first).
func deletionStarted() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetDeletionTimestamp() == nil && e.ObjectNew.GetDeletionTimestamp() != nil
	}}
}

// rolloutsNaming maps a Service or Deployment to the Rollouts of its namespace that name it.
func (r *RolloutReconciler) rolloutsNaming(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		return r.rolloutsIndexed(ctx, kind+"/"+o.GetName(), client.InNamespace(o.GetNamespace()))
	}
}

// routeKey is a route's key in indexReferences: kind, namespace and name, since a Rollout
// may name a route of another namespace.
func routeKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// rolloutsRouting maps a route to the Rollouts that name it, in any namespace.
func (r *RolloutReconciler) rolloutsRouting(kind string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		return r.rolloutsIndexed(ctx, routeKey(kind, o.GetNamespace(), o.GetName()))
	}
}

// rolloutsIndexed wakes the Rollouts whose indexReferences hold key.
func (r *RolloutReconciler) rolloutsIndexed(ctx context.Context, key string, opts ...client.ListOption) []reconcile.Request {
	var list weirv1.RolloutList
	if err := r.Client.List(ctx, &list, append(opts, client.MatchingFields{indexReferences: key})...); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for _, ro := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}})
	}
	return reqs
}

// rolloutsInNamespace wakes the Rollouts of a namespace whose analyses may use a template that
// changed (a fixed template unblocks them at once).
func (r *RolloutReconciler) rolloutsInNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	return r.rolloutsOf(ctx, o.GetNamespace(), func(ro *weirv1.Rollout) bool { return len(analysesOf(ro)) > 0 })
}

// rolloutsOf wakes the Rollouts of a namespace that keep says so of.
func (r *RolloutReconciler) rolloutsOf(ctx context.Context, ns string, keep func(*weirv1.Rollout) bool) []reconcile.Request {
	var list weirv1.RolloutList
	if err := r.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if ro := &list.Items[i]; keep(ro) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ro.Namespace, Name: ro.Name}})
		}
	}
	return reqs
}

// rolloutsUsingClusterTemplate wakes the Rollouts, in every namespace, whose analyses name a
// ClusterAnalysisTemplate that changed (a fixed template unblocks them at once, not at the
// next minute's recheck).
func (r *RolloutReconciler) rolloutsUsingClusterTemplate(ctx context.Context, o client.Object) []reconcile.Request {
	return r.rolloutsOf(ctx, "", func(ro *weirv1.Rollout) bool {
		for _, a := range analysesOf(ro) {
			if usesClusterTemplate(a.analysis, o.GetName()) {
				return true
			}
		}
		return false
	})
}

func usesClusterTemplate(a weirv1.RolloutAnalysis, name string) bool {
	for _, t := range a.Templates {
		if t.ClusterScope && t.TemplateName == name {
			return true
		}
	}
	return false
}

func referencedServices(ro *weirv1.Rollout) []string {
	stable, canary := ro.Spec.Strategy.Services()
	if stable == "" && canary == "" {
		return nil
	}
	return []string{stable, canary}
}
