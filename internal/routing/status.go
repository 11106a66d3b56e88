package routing

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Verdict is what a route's status says about its current generation.
type Verdict struct {
	// Accepted: every parentRef of the route reports Accepted and ResolvedRefs for the
	// route's current generation; the gateways serve this exact spec.
	Accepted bool
	// Message explains a route that is not Accepted.
	Message string
	// Unresolved is set when a parent reports ResolvedRefs False: a backend (a Service, a
	// port) the gateway can't reach. A report for an older generation counts until the
	// gateway reports on the current one. Weir then moves no more traffic to the canary.
	Unresolved string
}

// Verify reads the status of a route in ns with the given parentRefs and generation. A
// parentRef without a status entry (a gateway that hasn't reported yet, or a parent that
// isn't a gateway's) is not accepted.
func Verify(parents []gatewayv1.ParentReference, status gatewayv1.RouteStatus, ns string, generation int64) Verdict {
	if len(parents) == 0 {
		return Verdict{Message: "the route has no parentRefs"}
	}
	v := Verdict{Accepted: true}
	for _, ref := range parents {
		p := parentStatus(ref, status, ns)
		name := parentName(ref)
		if p == nil {
			v.reject(fmt.Sprintf("no gateway has reported on parent %s yet", name))
			continue
		}
		for _, t := range []gatewayv1.RouteConditionType{gatewayv1.RouteConditionAccepted, gatewayv1.RouteConditionResolvedRefs} {
			c := meta.FindStatusCondition(p.Conditions, string(t))
			switch {
			case c == nil:
				v.reject(fmt.Sprintf("parent %s has no %s condition", name, t))
			case c.ObservedGeneration != generation:
				v.reject(fmt.Sprintf("parent %s has seen generation %d of %d", name, c.ObservedGeneration, generation))
				if t == gatewayv1.RouteConditionResolvedRefs && c.Status == metav1.ConditionFalse && v.Unresolved == "" {
					// The last word on the backends, until the gateway reports on this
					// generation: a weight written since must not count as reaching them.
					v.Unresolved = fmt.Sprintf("parent %s: %s %s at generation %d: %s", name, t, c.Reason, c.ObservedGeneration, c.Message)
				}
			case c.Status != metav1.ConditionTrue:
				msg := fmt.Sprintf("parent %s: %s %s: %s", name, t, c.Reason, c.Message)
				v.reject(msg)
				if t == gatewayv1.RouteConditionResolvedRefs && v.Unresolved == "" {
					v.Unresolved = msg
				}
			}
		}
	}
	return v
}

func (v *Verdict) reject(msg string) {
	if v.Accepted { // keep the first problem: it is what to fix first
		v.Accepted, v.Message = false, msg
	}
}

// parentStatus finds the status a gateway wrote for a parentRef, comparing the references
// with their defaults (group gateway.networking.k8s.io, kind Gateway, the route's
// namespace).
func parentStatus(ref gatewayv1.ParentReference, status gatewayv1.RouteStatus, ns string) *gatewayv1.RouteParentStatus {
	want := normal(ref, ns)
	for i := range status.Parents {
		if normal(status.Parents[i].ParentRef, ns) == want {
			return &status.Parents[i]
		}
	}
	return nil
}

type parentKey struct {
	group, kind, namespace, name, section string
	port                                  int32
}

func normal(ref gatewayv1.ParentReference, ns string) parentKey {
	return parentKey{
		group:     string(ptr.Deref(ref.Group, gatewayv1.GroupName)),
		kind:      string(ptr.Deref(ref.Kind, "Gateway")),
		namespace: string(ptr.Deref(ref.Namespace, gatewayv1.Namespace(ns))),
		name:      string(ref.Name),
		section:   string(ptr.Deref(ref.SectionName, "")),
		port:      int32(ptr.Deref(ref.Port, 0)),
	}
}

func parentName(ref gatewayv1.ParentReference) string {
	name := string(ref.Name)
	if ref.SectionName != nil {
		name += "/" + string(*ref.SectionName)
	}
	return name
}
