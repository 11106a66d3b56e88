package analysis

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func metav1Time(t time.Time) metav1.MicroTime { return metav1.NewMicroTime(t) }

func ptrTime(t time.Time) *metav1.MicroTime {
	v := metav1.NewMicroTime(t)
	return &v
}
