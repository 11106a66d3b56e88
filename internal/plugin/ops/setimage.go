package ops

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
	"github.com/weir-dev/weir/internal/plugin/kube"
)

// ParseImages reads CONTAINER=IMAGE arguments.
func ParseImages(args []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		name, image, ok := strings.Cut(a, "=")
		if !ok || name == "" || image == "" {
			return nil, fmt.Errorf("%q is not CONTAINER=IMAGE", a)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("container %q named twice", name)
		}
		out[name] = image
	}
	return out, nil
}

// SetImage changes container images in spec.template (a new revision, released through the
// strategy's steps). It returns "container web: web:1 → web:2" per change; containers
// already at the image are reported as unchanged and nothing is written for them.
func SetImage(ctx context.Context, c client.Client, ns, name string, images map[string]string) ([]string, error) {
	var changes []string
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		ro, err := kube.GetRollout(ctx, c, ns, name)
		if err != nil {
			return err
		}
		if err := templateElsewhere(ro, "set the image there, e.g. kubectl set image deployment/%s"); err != nil {
			return err
		}
		changes = changes[:0]
		found := map[string]bool{}
		spec := &ro.Spec.Template.Spec
		var names []string
		visit := func(kind string, containers []corev1.Container) {
			for i := range containers {
				ct := &containers[i] // the slice shares the Rollout's array: edits stick
				names = append(names, ct.Name)
				img, ok := images[ct.Name]
				if !ok {
					continue
				}
				found[ct.Name] = true
				if ct.Image == img {
					changes = append(changes, fmt.Sprintf("%s %s: already %s", kind, ct.Name, img))
					continue
				}
				changes = append(changes, fmt.Sprintf("%s %s: %s → %s", kind, ct.Name, ct.Image, img))
				ct.Image = img
			}
		}
		visit("init container", spec.InitContainers)
		visit("container", spec.Containers)
		var missing []string
		for n := range images {
			if !found[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return fmt.Errorf("rollout %s has no container named %s (it has: %s)", name, strings.Join(missing, ", "), strings.Join(names, ", "))
		}
		return c.Update(ctx, ro)
	})
	return changes, err
}

// templateElsewhere refuses to change the pod template of a Rollout that takes it from a
// Deployment (workloadRef): the change belongs there; todo says how, %s the Deployment.
func templateElsewhere(ro *weirv1.Rollout, todo string) error {
	ref := ro.Spec.WorkloadRef
	if ref == nil {
		return nil
	}
	return fmt.Errorf("rollout %s releases Deployment %s's pod template (workloadRef): "+todo, ro.Name, ref.Name, ref.Name)
}
