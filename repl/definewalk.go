package repl

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
)

// yaegi v0.16.1 cannot compile a top-level `name := expr` whose expression
// indexes a variable declared by an earlier input (`q := parts[0]` after
// `parts := x.Split(2, 0)`): it reports a "constant definition loop". The
// same value computed inside a function literal compiles, so such a
// definition is retried as
//
//	gtDefineTmp := (func() any { return expr })()
//	var name T
//	name = gtDefineTmp.(T)
//
// with T the dynamic type of the value, evaluating expr once.

// singleDefine returns the name and expression source of a chunk that is
// exactly one `name := expr`.
func singleDefine(chunk string) (name, expr string, ok bool) {
	stmt, err := parser.ParseExprFrom(token.NewFileSet(), "", "func(){"+chunk+"\n}", 0)
	if err != nil {
		return "", "", false
	}
	lit, _ := stmt.(*ast.FuncLit)
	if lit == nil || len(lit.Body.List) != 1 {
		return "", "", false
	}
	as, _ := lit.Body.List[0].(*ast.AssignStmt)
	if as == nil || as.Tok != token.DEFINE || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
		return "", "", false
	}
	id, _ := as.Lhs[0].(*ast.Ident)
	if id == nil || id.Name == "_" {
		return "", "", false
	}
	src := "func(){" + chunk + "\n}"
	return id.Name, src[as.Rhs[0].Pos()-1 : as.Rhs[0].End()-1], true
}

// defineThroughClosure runs `name := expr` in the form yaegi compiles;
// ok is false when the retry does not apply (the caller reports the
// original error).
func (s *Session) defineThroughClosure(ctx context.Context, chunk string) (ok bool, err error) {
	name, expr, found := singleDefine(chunk)
	if !found {
		return false, nil
	}
	const tmp = "gtDefineTmp"
	prog, cerr := s.compile(tmp + " := (func() any { return " + expr + " })()")
	if cerr != nil {
		return false, nil
	}
	v, rerr := s.run(ctx, prog)
	if rerr != nil {
		return true, rerr
	}
	for v.IsValid() && v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if !v.IsValid() || (v.Kind() == reflect.Interface && v.IsNil()) {
		return false, nil // an untyped nil: keep the original error
	}
	typ := s.typeString(v.Type())
	// A declaration and a statement must be separate inputs for yaegi.
	if _, cerr = s.in.Eval("var " + name + " " + typ); cerr != nil {
		return false, nil
	}
	prog, cerr = s.compile(name + " = " + tmp + ".(" + typ + ")")
	if cerr != nil {
		return false, nil
	}
	_, rerr = s.run(ctx, prog)
	return true, rerr
}
