package repl

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"sync/atomic"
)

// A panic in a goroutine started by interpreted code would kill the whole
// process. rewriteGoStmts turns every `go f(a, b)` of a chunk into
//
//	{ __gtg1, __gtg2 := a, b; go func() { __gtrt.GoStart(); defer func() { __gtrt.GoPanic(recover()) }(); f(__gtg1, __gtg2) }() }
//
// on the same line, so such a panic is reported and the session goes on.
// Arguments are evaluated before the goroutine starts, as in Go; literal
// arguments stay in place so untyped constants keep converting to the
// parameter's type.

// rewriteGoStmts returns src with its go statements made panic-safe.
func rewriteGoStmts(src string) string {
	if !strings.Contains(src, "go") {
		return src
	}
	fset := token.NewFileSet()
	const head = "package p; func _() {\n"
	f, err := parser.ParseFile(fset, "", head+src+"\n}", 0)
	if err != nil {
		// Declarations: parse as a file.
		f, err = parser.ParseFile(fset, "", "package p;\n"+src, 0)
		if err != nil {
			return src
		}
		return rewriteIn(fset, f, src, len("package p;\n"))
	}
	return rewriteIn(fset, f, src, len(head))
}

// rewriteIn rewrites the outermost go statements of f (inner ones are
// rewritten recursively as part of their text); base is the offset of src in
// the parsed text.
func rewriteIn(fset *token.FileSet, f *ast.File, src string, base int) string {
	var stmts []*ast.GoStmt
	ast.Inspect(f, func(n ast.Node) bool {
		if g, ok := n.(*ast.GoStmt); ok {
			stmts = append(stmts, g)
			return false
		}
		return true
	})
	if len(stmts) == 0 {
		return src
	}
	sort.Slice(stmts, func(i, j int) bool { return stmts[i].Pos() > stmts[j].Pos() })
	for _, g := range stmts {
		start := fset.Position(g.Pos()).Offset - base
		end := fset.Position(g.End()).Offset - base
		src = src[:start] + goReplacement(fset, g.Call, src, base) + src[end:]
	}
	return src
}

var goSeq atomic.Uint64

// goReplacement builds the panic-safe form of `go call`.
func goReplacement(fset *token.FileSet, call *ast.CallExpr, src string, base int) string {
	text := func(n ast.Node) string {
		return src[fset.Position(n.Pos()).Offset-base : fset.Position(n.End()).Offset-base]
	}
	var names, values, args []string
	for _, a := range call.Args {
		if isLiteral(a) {
			args = append(args, text(a))
			continue
		}
		name := fmt.Sprintf("__gtg%d", goSeq.Add(1))
		names = append(names, name)
		values = append(values, text(a))
		args = append(args, name)
	}
	fun := rewriteGoStmts(text(call.Fun))
	ell := ""
	if call.Ellipsis.IsValid() {
		ell = "..."
	}
	body := fmt.Sprintf("go func() { %s.GoStart(); defer func() { %s.GoPanic(recover()) }(); %s(%s%s) }()", rtAlias, rtAlias, fun, strings.Join(args, ", "), ell)
	if len(names) == 0 {
		return "{ " + body + " }"
	}
	return fmt.Sprintf("{ %s := %s; %s }", strings.Join(names, ", "), strings.Join(values, ", "), body)
}

// isLiteral reports whether an argument is a constant literal (possibly
// negated), which must stay untyped.
func isLiteral(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.UnaryExpr:
		return isLiteral(x.X)
	case *ast.ParenExpr:
		return isLiteral(x.X)
	}
	return false
}
