package ops

import weirv1 "github.com/weir-dev/weir/api/v1alpha1"

// Actions are the requests a person makes of a release (kubectl weir's verbs, the
// dashboard's buttons), in the order both show them. An override of the release policies
// is left out: it needs a reason, typed at the command line.
var Actions = []weirv1.RequestAction{
	weirv1.RequestPromote, weirv1.RequestPromoteFull, weirv1.RequestAbort,
	weirv1.RequestRetry, weirv1.RequestPause, weirv1.RequestResume,
}

// Command is the kubectl weir command that writes a request: "promote", "promote --full".
func Command(a weirv1.RequestAction) string {
	switch a {
	case weirv1.RequestPromoteFull:
		return "promote --full"
	case weirv1.RequestOverridePolicy:
		return "promote --override-policy"
	case "":
		return ""
	}
	s := string(a)
	return string(s[0]+'a'-'A') + s[1:]
}
