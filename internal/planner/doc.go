// Package planner decides what a Rollout needs, as a pure function of what was observed
// (the Rollout, its ReplicaSets, Services, routes and analysis runs) and the time. It makes
// no API calls: reconcilers gather an Input, call Plan, apply the result and write the status
// it returns. Every reconcile computes the whole desired state, never a one-shot action.
package planner
