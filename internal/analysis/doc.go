// Package analysis measures metrics and judges them: PromQL queries with arguments templated
// in safely, CEL success/failure conditions, and the pure verdict rules that turn
// measurements into a metric's and a run's phase.
package analysis
