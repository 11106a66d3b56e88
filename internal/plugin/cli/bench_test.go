package cli_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/revision"
	"github.com/weir-dev/weir/internal/testenv/fixture"
)

// The benchmark's cluster: benchRollouts Rollouts (WEIR_BENCH_ROLLOUTS overrides the
// 2,000) spread over benchNamespaces namespaces, each with a ReplicaSet and an AnalysisRun,
// as a busy cluster has.
const (
	benchNamespaces = 20
	benchWorkers    = 16
)

var benchRollouts = func() int {
	if n, err := strconv.Atoi(os.Getenv("WEIR_BENCH_ROLLOUTS")); err == nil && n >= 1000 {
		return n
	}
	return 2000
}()

var benchOnce sync.Once

// BenchmarkPlugin times `list rollouts -A` (one List of every Rollout) and `get rollout`
// (scoped reads of one Rollout's objects) against a real API server holding 2,000
// Rollouts, 2,000 ReplicaSets and 2,000 AnalysisRuns. Run it with
//
//	KUBEBUILDER_ASSETS=$PWD/bin go test ./internal/plugin/cli -run '^$' -bench Plugin -benchtime 20x
//
// There are no timing assertions: the figures are for reading.
func BenchmarkPlugin(b *testing.B) {
	benchOnce.Do(func() {
		start := time.Now()
		if err := populate(context.Background()); err != nil {
			b.Fatal(err)
		}
		// Printed, not logged: benchmark logs only show with -v.
		fmt.Printf("created %d Rollouts, %d ReplicaSets and %d AnalysisRuns in %s\n", benchRollouts, benchRollouts, benchRollouts,
			time.Since(start).Round(time.Millisecond))
	})
	b.Run("list-rollouts-A", func(b *testing.B) {
		for b.Loop() {
			res := weir("list", "rollouts", "-A")
			if res.code != 0 || strings.Count(res.out, "\n") < benchRollouts+1 {
				b.Fatalf("list: %s", res.err)
			}
		}
		b.ReportMetric(float64(benchRollouts), "rollouts")
	})
	b.Run("get-rollout", func(b *testing.B) {
		for b.Loop() {
			res := weir("-n", "bench-07", "get", "rollout", "app-0042")
			if res.code != 0 || !strings.Contains(res.out, "AnalysisRun app-0042-") {
				b.Fatalf("get: %s%s", res.out, res.err)
			}
		}
	})
}

func populate(ctx context.Context) error {
	for n := range benchNamespaces {
		if err := k8s.Create(ctx, namespace(fmt.Sprintf("bench-%02d", n))); err != nil {
			return err
		}
	}
	work := make(chan int)
	errs := make(chan error, benchWorkers)
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := benchRollout(ctx, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for i := range benchRollouts {
		select {
		case work <- i:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

// benchRollout makes one unmanaged Rollout mid-release with its canary ReplicaSet (no
// pods: this measures the API, not the scheduler) and a running AnalysisRun.
func benchRollout(ctx context.Context, i int) error {
	ns, name := fmt.Sprintf("bench-%02d", i%benchNamespaces), fmt.Sprintf("app-%04d", i/benchNamespaces)
	labels := map[string]string{"app": name}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:" + strconv.Itoa(i)}}}}
	ro := &weirv1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{unmanagedLabel: "true"}},
		Spec: weirv1.RolloutSpec{Replicas: ptr.To[int32](3), Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl,
			Strategy: weirv1.RolloutStrategy{Canary: &weirv1.CanaryStrategy{StableService: name + "-stable", CanaryService: name + "-canary",
				Steps: []weirv1.CanaryStep{setWeight(20), analysisStepRef(), pause(""), setWeight(60)}}}},
	}
	if err := k8s.Create(ctx, ro); err != nil {
		return err
	}
	hash := revision.Hash(&tmpl, nil)
	ro.Status = weirv1.RolloutStatus{Strategy: "Canary", Phase: weirv1.PhaseProgressing, Message: "step 2/4: analysis running at weight 20",
		StableRS: "stable0", CurrentPodHash: hash, CurrentStepIndex: ptr.To[int32](1), Canary: weights(20, ptr.To[int32](20))}
	if err := k8s.Status().Update(ctx, ro); err != nil {
		return err
	}
	rs := revisionSet(ro, tmpl, 2, 0)
	run := unmanagedRun(ro, name+"-"+hash+"-2-1", weirv1.Metric{Name: "error-rate", SuccessCondition: "result < 0.05",
		Provider: fixture.Prometheus(fixture.NoPrometheus, "up")})
	for _, obj := range []client.Object{rs, run} {
		if err := controllerutil.SetControllerReference(ro, obj, k8s.Scheme()); err != nil {
			return err
		}
		if err := k8s.Create(ctx, obj); err != nil {
			return err
		}
	}
	run.Status = weirv1.AnalysisRunStatus{Phase: weirv1.AnalysisRunning, MetricResults: []weirv1.MetricResult{{
		Name: "error-rate", Phase: weirv1.AnalysisRunning, Count: 1, Successful: 1,
		Measurements: measurements(time.Now(), weirv1.AnalysisSuccessful, "0.01")}}}
	return k8s.Status().Update(ctx, run)
}
