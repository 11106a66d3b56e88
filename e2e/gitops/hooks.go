package gitops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// hookTemplate is a PostSync hook added to the fork's chart: a ConfigMap named after the
// backend tag, so that its existence says the hook of that release has run. (A Job would need
// a container runtime; Argo CD runs any kind as a hook.)
const hookTemplate = `# A PostSync hook (test): created once Argo CD considers the sync done.
apiVersion: v1
kind: ConfigMap
metadata:
  name: postsync-{{ .Values.backend.image.tag | replace "." "-" }}
  annotations:
    argocd.argoproj.io/hook: PostSync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
data:
  tag: {{ .Values.backend.image.tag | quote }}
`

// HookRun is how a PostSync hook and a production release's pause {} gate went together.
type HookRun struct {
	GateHealthy bool // the kit's promotionGateHealthy
	// At the gate (the Rollout waiting for promotion, observed for a while): Argo CD's health
	// of the Rollout, the sync operation's phase and message, whether the hook had run.
	RolloutHealth, RolloutMessage, Operation, OperationMessage string
	HookRanAtGate                                              bool
	// After the promote action: whether the hook had run by the time the release was Healthy
	// and the operation had finished.
	HookRanAfter bool
	Operation2   string
}

// ReleaseProdWithHook commits tag to production with a PostSync hook in the chart, syncs by
// hand (asynchronously, as the UI does), watches the gate for a while, then promotes with
// Argo CD's action.
func (p *Platform) ReleaseProdWithHook(ctx context.Context, tag string, gateHealthy bool) (HookRun, error) {
	run := HookRun{GateHealthy: gateHealthy}
	sha, err := p.Commit(Prod.Branch, "prod: backend "+tag+" with a PostSync hook", func(work string) error {
		hook := filepath.Join(work, "examples/blog-platform/microservices-app/templates/postsync-hook.yaml")
		if err := os.WriteFile(hook, []byte(hookTemplate), 0o644); err != nil {
			return err
		}
		if _, err := p.Git.Git("add", hook); err != nil {
			return err
		}
		return editFile(filepath.Join(work, Prod.ValuesFile()), func(s string) string { return setBackend(s, tag, "") })
	})
	if err != nil {
		return run, err
	}
	if err := p.Notify(ctx, Prod.App, sha); err != nil {
		return run, err
	}
	if _, err := p.WaitApp(ctx, Prod.App, 2*time.Minute, func(s AppState) bool { return s.SyncRevision == sha && s.Sync == "OutOfSync" }); err != nil {
		return run, err
	}
	if out, err := p.Argo.CLI("app", "sync", Prod.App, "--async"); err != nil {
		return run, fmt.Errorf("%v\n%s", err, out)
	}
	hook := "postsync-" + strings.ReplaceAll(tag, ".", "-")
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ro, err := p.Rollout(ctx, Prod)
		if err == nil && settled(ro) && ro.Status.Phase == weirv1.PhasePaused && runsTag(ro, tag) {
			break
		}
		if time.Now().After(deadline) {
			return run, fmt.Errorf("production never reached its gate: %s", describe(ro))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// At the gate: give Argo CD time to finish the sync if it is going to (it re-evaluates
	// health every few seconds), then read what it shows. With the default kit this is an
	// observation window (the sync must still be running at its end); with the gate Healthy
	// it ends as soon as the sync has finished and the hook has run.
	window := 15 * time.Second
	if gateHealthy {
		window = 2 * time.Minute
	}
	observeUntil := time.Now().Add(window)
	for time.Now().Before(observeUntil) {
		s, err := p.App(ctx, Prod.App)
		if err == nil {
			run.RolloutHealth, run.RolloutMessage, run.Operation = s.RolloutHealth, s.RolloutMessage, s.OperationPhase
			run.OperationMessage = p.operationMessage(ctx)
			run.HookRanAtGate = p.configMapExists(ctx, Prod.Namespace, hook)
			if gateHealthy && run.HookRanAtGate && s.OperationPhase == "Succeeded" {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := p.Argo.CLI("app", "actions", "run", Prod.App, "promote", "--kind", "Rollout", "--resource-name", "backend"); err != nil {
		return run, err
	}
	_, err = p.WaitApp(ctx, Prod.App, 3*time.Minute, func(s AppState) bool {
		ro, err := p.Rollout(ctx, Prod)
		return err == nil && Released(tag)(s, ro) && s.OperationPhase == "Succeeded" && p.configMapExists(ctx, Prod.Namespace, hook)
	})
	s, _ := p.App(ctx, Prod.App)
	run.HookRanAfter, run.Operation2 = p.configMapExists(ctx, Prod.Namespace, hook), s.OperationPhase
	return run, err
}

// SetPromotionGateHealthy changes the kit's promotionGateHealthy in Weir's Application (a
// commit on main: the app of apps syncs it, Argo CD re-renders the chart), then merges the
// kit into argocd-cm again.
func (p *Platform) SetPromotionGateHealthy(ctx context.Context, on bool) error {
	sha, err := p.Commit("main", fmt.Sprintf("weir: argocd.kit.promotionGateHealthy=%v", on), func(work string) error {
		return editFile(filepath.Join(work, "examples/blog-platform/argocd/apps/weir.yaml"), func(s string) string {
			return strings.Replace(s, "            enabled: true\n", fmt.Sprintf("            enabled: true\n            promotionGateHealthy: %v\n", on), 1)
		})
	})
	if err != nil {
		return err
	}
	if err := p.Notify(ctx, RootApp, sha); err != nil {
		return err
	}
	if _, err := p.WaitApp(ctx, RootApp, 2*time.Minute, func(s AppState) bool { return s.SyncRevision == sha && s.Sync == "Synced" }); err != nil {
		return err
	}
	if err := p.Notify(ctx, "weir", sha); err != nil {
		return err
	}
	want := fmt.Sprintf("local promotionGateHealthy = %v", on)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var kit corev1.ConfigMap
		if err := p.Stack.Client.Get(ctx, client.ObjectKey{Namespace: "weir-system", Name: "weir-argocd-kit"}, &kit); err == nil &&
			strings.Contains(kit.Data["resource.customizations.health.rollouts.weir.dev_Rollout"], want) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the kit ConfigMap never had %q", want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return p.MergeKit()
}

func (p *Platform) configMapExists(ctx context.Context, ns, name string) bool {
	var cm corev1.ConfigMap
	return p.Stack.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm) == nil
}

// operationMessage is the Application's current operation message.
func (p *Platform) operationMessage(ctx context.Context) string {
	out, err := p.Kubectl("-n", "argocd", "get", "application", Prod.App, "-o", "jsonpath={.status.operationState.message}")
	if err != nil {
		return ""
	}
	return out
}
