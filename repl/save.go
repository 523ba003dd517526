package repl

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// Program returns the session as a runnable Go program: the declarations
// typed at the prompt at package level, the statements in main (shown
// expressions become fmt.Println calls), and the imports it uses.
// Statements run in main, so a function declared at the prompt cannot use a
// variable created by a statement (it can in the REPL, where they are
// globals); such programs need a small edit.
func (s *Session) Program() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var decls, body strings.Builder
	declared := map[string]bool{}
	imports := map[string]string{} // alias → path
	for _, e := range s.log {
		e.src = renameMain(e.src) // the program's main is the session
		if e.kind == declChunk {
			f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+e.src, 0)
			if err != nil {
				continue
			}
			var rest []string
			for _, d := range f.Decls {
				if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
					for _, sp := range gd.Specs {
						is := sp.(*ast.ImportSpec)
						path := strings.Trim(is.Path.Value, "\"`")
						alias := path[strings.LastIndex(path, "/")+1:]
						if is.Name != nil {
							alias = is.Name.Name
						}
						imports[alias] = path
					}
					continue
				}
				start, end := int(d.Pos())-1-len("package p;"), int(d.End())-1-len("package p;")
				rest = append(rest, e.src[start:end])
			}
			for _, r := range rest {
				decls.WriteString(r + "\n\n")
			}
			continue
		}
		src := e.src
		if e.show {
			src = "fmt.Println(" + strings.TrimSpace(src) + ")"
		}
		body.WriteString(redeclare(src, declared) + "\n")
	}
	if len(declared) > 0 {
		names := make([]string, 0, len(declared))
		for n := range declared {
			names = append(names, n)
		}
		sort.Strings(names)
		body.WriteString("_ = []any{" + strings.Join(names, ", ") + "}\n")
	}
	code := decls.String() + "func main() {\n" + body.String() + "}\n"
	used := usedPackages(code)
	for alias, path := range Preimports() {
		if used[alias] {
			if _, ok := imports[alias]; !ok {
				imports[alias] = path
			}
		}
	}
	var b bytes.Buffer
	b.WriteString("// Code saved by gtrepl's :save.\n\npackage main\n\nimport (\n")
	aliases := make([]string, 0, len(imports))
	for a := range imports {
		aliases = append(aliases, a)
	}
	sort.Slice(aliases, func(i, j int) bool { return imports[aliases[i]] < imports[aliases[j]] })
	for _, a := range aliases {
		p := imports[a]
		if p[strings.LastIndex(p, "/")+1:] == a {
			fmt.Fprintf(&b, "\t%q\n", p)
		} else {
			fmt.Fprintf(&b, "\t%s %q\n", a, p)
		}
	}
	b.WriteString(")\n\n" + code)
	out, err := format.Source(b.Bytes())
	if err != nil {
		return b.String(), nil // still useful to the user
	}
	return string(out), nil
}

// redeclare rewrites a top-level `a, b := …` whose names all exist already
// into `a, b = …` (the REPL allows redeclaring; Go's := needs a new name)
// and a bare expression x into `_ = x`, and records the names it declares.
func redeclare(src string, declared map[string]bool) string {
	const head = "package p; func _() {\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", head+src+"\n}", 0)
	if err != nil {
		return src
	}
	type edit struct {
		off  int
		kind int // 0: ":=" → "=", 1: insert "_ = "
	}
	var edits []edit
	for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
		switch st := st.(type) {
		case *ast.ExprStmt:
			// A bare expression (shown only when last at the prompt) is not
			// a Go statement.
			switch x := st.X.(type) {
			case *ast.CallExpr:
				continue
			case *ast.UnaryExpr:
				if x.Op == token.ARROW {
					continue
				}
			}
			edits = append(edits, edit{fset.Position(st.Pos()).Offset - len(head), 1})
		case *ast.AssignStmt:
			if st.Tok != token.DEFINE {
				continue
			}
			fresh := false
			for _, l := range st.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" && !declared[id.Name] {
					fresh = true
					declared[id.Name] = true
				}
			}
			if !fresh {
				edits = append(edits, edit{fset.Position(st.TokPos).Offset - len(head), 0})
			}
		case *ast.DeclStmt:
			if gd, ok := st.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
				for _, sp := range gd.Specs {
					for _, n := range sp.(*ast.ValueSpec).Names {
						if n.Name != "_" {
							declared[n.Name] = true
						}
					}
				}
			}
		}
	}
	for i := len(edits) - 1; i >= 0; i-- {
		o := edits[i].off
		if edits[i].kind == 1 {
			src = src[:o] + "_ = " + src[o:]
		} else {
			src = src[:o] + "=" + src[o+2:]
		}
	}
	return src
}

// usedPackages returns the identifiers used as the left side of a selector.
func usedPackages(code string) map[string]bool {
	used := map[string]bool{}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+code, 0)
	if err != nil {
		for alias := range Preimports() {
			used[alias] = strings.Contains(code, alias+".")
		}
		return used
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	return used
}
