package cli_test

import (
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// TestUndo: by default undo only prints the change to make in Git; --in-cluster makes it,
// and the template it writes is exactly the old revision's (same hash: its ReplicaSet is
// reused, no new revision), with the API server's defaults taken out.
func TestUndo(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	r.pausedAtHalf()
	g.Expect(r.request("promote", "web", "--full")).To(ContainSubstring("PromoteFull"))
	r.waitVerdict("Healthy", 0)
	generation := r.Get().Generation

	res := weir("-n", r.NS, "undo", "web")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.out).To(Equal(lines(
		"Undo rollout web to revision 1 (web-"+hashOf("web:1")+"): the revision before the current one.",
		"  container web: image web:2 → web:1",
		"",
		"Git is the source of truth: make this change to the Rollout's manifest and let your GitOps tool apply it:",
		"",
		"--- spec.template (now)",
		"+++ spec.template (revision 1)",
		"@@ -3,6 +3,6 @@",
		"         app: web",
		"     spec:",
		"       containers:",
		"-      - image: web:2",
		"+      - image: web:1",
		"         name: web",
		"         resources: {}",
		"",
		"To change the cluster only (a GitOps tool will revert it): kubectl weir undo web --to-revision 1 --in-cluster",
	)))
	g.Expect(r.Get().Generation).To(Equal(generation), "undo without --in-cluster changes nothing")

	res = weir("-n", r.NS, "undo", "web", "--to-revision", "7")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("rollout web has no revision to go back to numbered 7; revisions kept: 2 (web-" + hashOf("web:2") + "), 1 (web-" + hashOf("web:1") + ")"))
	res = weir("-n", r.NS, "undo", "web", "--to-revision", "2")
	g.Expect(res.code).To(Equal(1))
	g.Expect(res.err).To(ContainSubstring("revision 2 is the current template of rollout web: nothing to undo"))

	res = weir("-n", r.NS, "undo", "web", "--to-revision", "1", "--in-cluster")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.out).To(ContainSubstring("spec.template of rollout web set to revision 1\nnext: revision 1's template is released again through the steps"))
	g.Expect(res.err).To(ContainSubstring("warning: this changed the Rollout's spec in the cluster only"))
	ro := r.Get()
	g.Expect(ro.Spec.Template.Spec.Containers[0].Image).To(Equal("web:1"))
	g.Expect(ro.Spec.Template.Spec.Containers[0].ImagePullPolicy).To(BeEmpty(), "defaults stay out of the spec")
	// The controller sees revision 1's own hash: a release of the existing ReplicaSet.
	g.Eventually(func() string { return r.Get().Status.CurrentPodHash }, timeout, poll).Should(Equal(hashOf("web:1")))
	r.waitVerdict("Paused", 2)

	// During a release undo goes back to stable by default, which drops the release.
	res = weir("-n", r.NS, "undo", "web", "--in-cluster")
	g.Expect(res.code).To(Equal(0), res.String())
	g.Expect(res.out).To(ContainSubstring("Undo rollout web to revision 2 (web-" + hashOf("web:2") + "): the stable revision: the release in progress is dropped."))
	g.Expect(res.out).To(ContainSubstring("next: the template is the stable revision " + hashOf("web:2") + " again"))
	r.waitVerdict("Healthy", 0)
	ro = r.Get()
	g.Expect(ro.Status.StableRS).To(Equal(hashOf("web:2")))
	g.Expect(ro.Status.Aborted).To(BeNil())
	g.Expect(r.Events()).To(ContainSubstring("template is back to stable revision"))
}

// TestSpecVerbsSendAWorkloadRefToItsDeployment: set image and undo change spec.template, which
// a Rollout with a workloadRef doesn't have: both say where the change belongs instead.
func TestSpecVerbsSendAWorkloadRefToItsDeployment(t *testing.T) {
	r := newRelease(t, "")
	g := r.G
	ro := r.Rollout(2)
	ro.Spec.Template = corev1.PodTemplateSpec{}
	ro.Spec.WorkloadRef = &weirv1.WorkloadRef{Name: "legacy"}
	r.unmanaged(ro)
	set := weir("-n", r.NS, "set", "image", "web", "web=web:2")
	g.Expect(set.code).To(Equal(1), set.String())
	g.Expect(set.err).To(ContainSubstring("rollout web releases Deployment legacy's pod template (workloadRef): set the image there, e.g. kubectl set image deployment/legacy"))
	undo := weir("-n", r.NS, "undo", "web")
	g.Expect(undo.code).To(Equal(1), undo.String())
	g.Expect(undo.err).To(ContainSubstring("rollout web releases Deployment legacy's pod template (workloadRef): undo the change there"))
}
