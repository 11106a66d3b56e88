package controller_test

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

const metav1ManagedFieldsApply = metav1.ManagedFieldsOperationApply
