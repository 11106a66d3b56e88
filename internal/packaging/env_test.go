package packaging

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/testenv"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// Deadlines: fixture.Timeout and fixture.Poll.
const timeout, poll = fixture.Timeout, fixture.Poll

// One control plane for the package, started by the first test that needs it (the Lua and
// schema tests don't), with pods that become Ready, Weir's reconcilers and a stand-in
// gateway, as in internal/controller's suite.
var (
	envOnce   sync.Once
	sharedEnv *testenv.Env
	envErr    error
	stopWeir  context.CancelFunc
)

func TestMain(m *testing.M) {
	code := m.Run()
	if stopWeir != nil {
		stopWeir()
	}
	if sharedEnv != nil {
		sharedEnv.Stop()
	}
	os.Exit(code)
}

func controlPlane(t testing.TB) *testenv.Env {
	t.Helper()
	envOnce.Do(func() {
		sharedEnv, envErr = testenv.Start(testenv.Options{Pods: true})
		if envErr == nil {
			envErr = startWeir(sharedEnv)
		}
	})
	if envErr != nil {
		t.Fatalf("control plane: %v", envErr)
	}
	return sharedEnv
}

func startWeir(env *testenv.Env) error {
	ctx, cancel := context.WithCancel(context.Background())
	stopWeir = cancel
	return env.StartWeir(ctx, controller.CacheOptionsFor(controller.Scope{})) // as an install without --instance-id
}

// ensureNamespace creates a namespace for real (a chart's target, or a watched namespace).
// clientWith is the shared control plane's client, with the namespaces made.
func clientWith(t testing.TB, namespaces ...string) client.Client {
	t.Helper()
	c := controlPlane(t).Client
	for _, ns := range namespaces {
		ensureNamespace(t, c, ns)
	}
	return c
}

func ensureNamespace(t testing.TB, c client.Client, name string) {
	t.Helper()
	err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// apply server-side-applies objects as fieldOwner, into namespace when they are namespaced
// and name none (as Helm and Argo CD do). It tries every object and reports every refusal.
func apply(ctx context.Context, c client.Client, namespace, fieldOwner string, objs []*unstructured.Unstructured, opts ...client.ApplyOption) error {
	var errs []error
	for _, o := range objs {
		o = o.DeepCopy()
		gvk := o.GroupVersionKind()
		mapping, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", gvk.Kind, o.GetName(), err))
			continue
		}
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace && o.GetNamespace() == "" {
			o.SetNamespace(namespace)
		}
		all := append([]client.ApplyOption{client.FieldOwner(fieldOwner), client.ForceOwnership}, opts...)
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), all...); err != nil {
			errs = append(errs, fmt.Errorf("%s %s/%s refused: %w", gvk.Kind, o.GetNamespace(), o.GetName(), err))
		}
	}
	return errors.Join(errs...)
}
