// Command demo-gitops walks the blog platform's GitOps workflow on a local stack with a real
// Argo CD (make demo-gitops): a release committed to develop and synced to dev by Argo CD,
// promoted to staging by a merge and to production by hand (diff, sync, and the promote action
// at the gate), a bad build aborted by Weir, the workflow's three ways back, and a Git edit of
// the route in the middle of a release. It prints a table of what each step took and what
// Argo CD showed. The GitOps suite (e2e/gitops) walks the same steps and asserts on them.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/weir-dev/weir/e2e/gitops"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo-gitops:", err)
		os.Exit(1)
	}
}

func say(format string, args ...any) { fmt.Printf("==> "+format+"\n", args...) }

type row struct{ env, change, synced, done, drift, argo, served string }

func releaseRow(r gitops.Release) row {
	return row{r.Env, r.Change, dur(r.ToSynced), dur(r.ToDone),
		fmt.Sprintf("%d/%d", r.OutOfSyncAfterSynced(), r.SyncedSamples()),
		strings.Join(r.RolloutHealths(), " → "), served(r)}
}

func served(r gitops.Release) string {
	var parts []string
	for v, n := range r.Served.Versions {
		parts = append(parts, fmt.Sprintf("%s:%d", v, n))
	}
	failed := r.Served.Errors
	for _, n := range r.Served.Failed {
		failed += n
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("failed:%d", failed))
	}
	return strings.Join(parts, " ")
}

func dur(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

func run() error {
	p, err := gitops.Start(func(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) })
	if err != nil {
		return err
	}
	defer p.Stop()
	ctx := context.Background()
	var rows []row
	var rollbacks []gitops.Rollback

	say("dev: CI commits backend 1.5.0 to values-dev.yaml on develop; Argo CD syncs, Weir releases")
	r, err := p.ReleaseDev(ctx, "1.5.0", "", gitops.Released("1.5.0"))
	if err != nil {
		return err
	}
	rows = append(rows, releaseRow(r))

	say("staging: merge develop into staging")
	if r, err = p.PromoteToStaging(ctx); err != nil {
		return err
	}
	rows = append(rows, releaseRow(r))

	say("prod: merge staging into main; argocd app diff, argocd app sync, promote action at the gate")
	prod, err := p.PromoteToProd(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("    argocd app diff blog-prod before the sync:\n%s\n", indent(prod.Diff))
	rows = append(rows, releaseRow(prod.Gate), releaseRow(prod.Promoted))

	say("dev: a bad build (1.6.0, half its requests fail); Weir aborts it")
	if r, err = p.ReleaseDev(ctx, "1.6.0", "0.5", gitops.Aborted); err != nil {
		return err
	}
	rows = append(rows, releaseRow(r))
	say("rollback 1: git revert")
	rb, err := p.RollbackByRevert(ctx, r.Commit)
	if err != nil {
		return err
	}
	rollbacks = append(rollbacks, rb)

	say("dev: another bad build (1.6.1); rollback 2: argocd app rollback")
	if r, err = p.ReleaseDev(ctx, "1.6.1", "0.5", gitops.Aborted); err != nil {
		return err
	}
	rows = append(rows, releaseRow(r))
	if rb, err = p.RollbackByArgoCD(ctx, r.Commit); err != nil {
		return err
	}
	rollbacks = append(rollbacks, rb)

	say("dev: 1.7.0 looks wrong to the person on call; rollback 3: kubectl weir abort + undo")
	sha, err := p.StartDevRelease(ctx, "1.7.0")
	if err != nil {
		return err
	}
	if rb, err = p.EmergencyRollback(ctx, sha); err != nil {
		return err
	}
	rollbacks = append(rollbacks, rb)

	say("dev: a Git edit of the HTTPRoute while Weir holds the canary at 50%%")
	if _, err := p.StartDevRelease(ctx, "1.8.0"); err != nil {
		return err
	}
	if out, err := p.Weir("pause", "backend", "-n", gitops.Dev.Namespace); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	edit, err := p.EditRoute(ctx, "10s")
	if err != nil {
		return err
	}
	if out, err := p.Weir("resume", "backend", "-n", gitops.Dev.Namespace); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}

	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ENV\tCHANGE\tSYNCED AFTER\tDONE AFTER\tOUTOFSYNC/SAMPLES\tROLLOUT IN ARGO CD\tSERVED")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.env, r.change, r.synced, r.done, r.drift, r.argo, r.served)
	}
	w.Flush()
	fmt.Println()
	w = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ROLLBACK\tSTABLE ONLY AFTER\tGIT = ARGO CD = CLUSTER AFTER\tCOMMANDS")
	for _, rb := range rollbacks {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", rb.Method, dur(rb.ToStable), dur(rb.ToAgreed), strings.Join(rb.Commands, "; "))
	}
	w.Flush()
	fmt.Printf("\nroute edit (%s) applied %s after the push; canary weight on the live route meanwhile: %v (Weir's 50 never reset)\n",
		edit.Change, dur(edit.ToApplied), edit.CanaryWeights)
	fmt.Printf("Argo CD application samples every %s; OUTOFSYNC counts samples after Argo CD first reported the commit Synced.\n", gitops.SampleInterval)
	return nil
}

func indent(s string) string {
	return "      " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n      ")
}
