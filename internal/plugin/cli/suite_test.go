package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/controller"
	"github.com/weir-dev/weir/internal/plugin/cli"
	"github.com/weir-dev/weir/internal/testenv"
)

var (
	k8s client.Client
	env *testenv.Env
)

const (
	// unmanagedLabel on a Rollout or AnalysisRun hides it from the in-process controller, so
	// a test can write its status by hand and get an exact, unchanging picture.
	unmanagedLabel = "test.weir.dev/unmanaged"
	// noGatewayAnnotation on an HTTPRoute keeps the stand-in gateway away from it.
	noGatewayAnnotation = testenv.NoGatewayAnnotation
)

// TestMain starts a real control plane whose pods become Ready (kwok), Weir's controller in
// process (blind to objects labelled unmanaged), and testenv's stand-in gateway, which marks
// HTTPRoutes Accepted as a gateway would.
func TestMain(m *testing.M) {
	cacheOpts := controller.CacheOptions()
	managed, err := labels.Parse("!" + unmanagedLabel)
	if err != nil {
		panic(err)
	}
	cacheOpts.ByObject[&weirv1.Rollout{}] = cache.ByObject{Label: managed}
	cacheOpts.ByObject[&weirv1.AnalysisRun{}] = cache.ByObject{Label: managed}
	os.Exit(testenv.RunWithWeir(m, cacheOpts, func(e *testenv.Env) { env, k8s = e, e.Client }))
}

// result is what one kubectl weir invocation printed and returned.
type result struct {
	out, err string
	code     int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// invocation configures a kubectl weir run.
type invocation struct {
	ctx      context.Context
	now      func() time.Time
	terminal *bool
	stdin    string
	out      *syncBuffer
}

// weir runs the plugin in process against the test cluster, as `kubectl weir args…`.
func weir(args ...string) result { return invocation{}.run(args...) }

func (inv invocation) run(args ...string) result {
	ctx := inv.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	out := inv.out
	if out == nil {
		out = &syncBuffer{}
	}
	var errOut syncBuffer
	code := cli.Execute(ctx, cli.Options{
		Version: "test", In: strings.NewReader(inv.stdin), Out: out, ErrOut: &errOut, Now: inv.now, Terminal: inv.terminal,
	}, append([]string{"--kubeconfig", env.Kubeconfig}, args...))
	return result{out: out.String(), err: errOut.String(), code: code}
}

// syncBuffer is a bytes.Buffer a watch may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
