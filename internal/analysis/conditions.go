package analysis

import (
	"fmt"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/overloads"
	"github.com/google/cel-go/common/types"
)

// Condition is a compiled successCondition or failureCondition.
type Condition struct {
	Expr string
	prog cel.Program
	// list: the condition reads result as a list (result[0], result.all(…), size(result)),
	// so it gets one even for a single series.
	list bool
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
	return &Condition{Expr: expr, prog: prog, list: readsAsList(ast)}, nil
}

// readsAsList reports whether an expression indexes result, ranges over it or takes its
// size: the peers' spelling (result[0] < 0.05, as Argo Rollouts gives a single series as a
// list of one). Weir gives a single series as a number; such a condition gets the list.
func readsAsList(a *cel.Ast) bool {
	isResult := func(e celast.Expr) bool {
		return e != nil && e.Kind() == celast.IdentKind && e.AsIdent() == "result"
	}
	found := false
	celast.PreOrderVisit(a.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		switch e.Kind() {
		case celast.CallKind:
			c := e.AsCall()
			args := c.Args()
			switch {
			case c.IsMemberFunction() && isResult(c.Target()):
				found = true
			case (c.FunctionName() == operators.Index || c.FunctionName() == overloads.Size) && len(args) > 0 && isResult(args[0]):
				found = true
			}
		case celast.ComprehensionKind:
			found = found || isResult(e.AsComprehension().IterRange())
		}
	}))
	return found
}

// Eval evaluates the condition with result bound to a number (one value) or a list of
// numbers (a vector of several series).
func (c *Condition) Eval(values []float64) (bool, error) {
	var result any = values
	if len(values) == 1 && !c.list {
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
