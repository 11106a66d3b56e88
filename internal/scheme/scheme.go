// Package scheme is the one list of the kinds Weir's programs read and write: core
// Kubernetes, Gateway API v1 and Weir's own. The controller, kubectl weir and the tests'
// control planes all build their clients from it.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	weirv1 "github.com/weir-dev/weir/api/v1alpha1"
)

// New returns a scheme that knows every kind Weir uses.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gatewayv1.Install, weirv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}
