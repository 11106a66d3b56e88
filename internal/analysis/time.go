package analysis

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func metav1Time(t time.Time) metav1.Time { return metav1.NewTime(t) }

func ptrTime(t time.Time) *metav1.Time {
	v := metav1.NewTime(t)
	return &v
}
