// Package controller holds Weir's reconcilers. They are thin: gather what the planner needs,
// call it, apply its plan (server-side apply under the "weir" field manager for objects that
// others own too), and write the status once.
package controller
