package analysis

import (
	"fmt"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
)

// Condition is a compiled successCondition or failureCondition.
type Condition struct {
	Expr string
	prog cel.Program
}

var celEnv = func() *cel.Env {
	env, err := cel.NewEnv(cel.Variable("result", cel.DynType))
	if err != nil {
		panic(err)
	}
	return env
}()

// CompileCondition compiles a CEL expression over `result` that must yield a bool. An empty
// expression gives a nil Condition.
func CompileCondition(expr string) (*Condition, error) {
	if expr == "" {
		return nil, nil
	}
	ast, iss := celEnv.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%q does not compile: %v", expr, iss.Err())
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return nil, fmt.Errorf("%q yields %s, not a bool", expr, ast.OutputType())
	}
	prog, err := celEnv.Program(ast, cel.CostLimit(100000))
	if err != nil {
		return nil, fmt.Errorf("%q: %v", expr, err)
	}
	return &Condition{Expr: expr, prog: prog}, nil
}

// Eval evaluates the condition with result bound to a number (one value) or a list of
// numbers (a vector of several series).
func (c *Condition) Eval(values []float64) (bool, error) {
	var result any = values
	if len(values) == 1 {
		result = values[0]
	}
	out, _, err := c.prog.Eval(map[string]any{"result": result})
	if err != nil {
		return false, fmt.Errorf("%q: %v", c.Expr, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("%q yielded %v, not a bool", c.Expr, out)
	}
	return bool(b), nil
}
