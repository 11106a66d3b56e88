package revision

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func template(image string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}}}
}

func TestHash(t *testing.T) {
	a, b := Hash(template("web:1"), nil), Hash(template("web:2"), nil)
	if a == b {
		t.Fatalf("different templates hash alike: %s", a)
	}
	if again := Hash(template("web:1"), nil); again != a {
		t.Fatalf("hash not stable: %s then %s", a, again)
	}
	if bumped := Hash(template("web:1"), ptr.To[int32](1)); bumped == a {
		t.Fatalf("collision count does not change the hash")
	}
	labelled := template("web:1")
	labelled.Labels = map[string]string{HashLabel: a}
	if Hash(labelled, nil) != a {
		t.Fatalf("the hash label itself changes the hash")
	}
}
