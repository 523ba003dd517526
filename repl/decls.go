package repl

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"sort"
	"strings"
)

// declIndex remembers what the session declared, for completion, Inspect
// and :save.
type declIndex struct {
	funcs   map[string]string            // function name → declaration source
	types   map[string]string            // type name → declaration source
	methods map[string]map[string]string // receiver type name → method → declaration source
	imports map[string]string            // alias → path, imported by the user
}

func newDeclIndex() *declIndex {
	return &declIndex{funcs: map[string]string{}, types: map[string]string{}, methods: map[string]map[string]string{}, imports: map[string]string{}}
}

// afterDecl indexes a declaration chunk that was just evaluated and
// registers its types with the runtime so values can be named.
func (s *Session) afterDecl(ctx context.Context, c chunk, input string) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", "package p;"+c.src, parser.ParseComments)
	if err != nil {
		return
	}
	base := len("package p;")
	text := func(n ast.Node) string {
		return c.src[fset.Position(n.Pos()).Offset-base : fset.Position(n.End()).Offset-base]
	}
	// A comment right above the chunk (split off as a statement) documents
	// its first declaration.
	leading := leadingComment(input[:c.offset])
	var newTypes []string
	for i, d := range f.Decls {
		withDoc := func(doc *ast.CommentGroup, src string) string {
			if doc != nil {
				return text(doc) + "\n" + src
			}
			if i == 0 && leading != "" {
				return leading + "\n" + src
			}
			return src
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			src := withDoc(d.Doc, text(d))
			if d.Recv == nil || len(d.Recv.List) == 0 {
				s.decls.funcs[d.Name.Name] = src
				continue
			}
			recv := receiverName(d.Recv.List[0].Type)
			if s.decls.methods[recv] == nil {
				s.decls.methods[recv] = map[string]string{}
			}
			s.decls.methods[recv][d.Name.Name] = src
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch sp := spec.(type) {
				case *ast.TypeSpec:
					src := withDoc(d.Doc, "type "+text(sp))
					s.decls.types[sp.Name.Name] = src
					if sp.TypeParams == nil {
						newTypes = append(newTypes, sp.Name.Name)
					}
				case *ast.ImportSpec:
					path := strings.Trim(sp.Path.Value, "\"`")
					alias := path[strings.LastIndex(path, "/")+1:]
					if sp.Name != nil {
						alias = sp.Name.Name
					}
					s.decls.imports[alias] = path
				}
			}
		}
	}
	for _, name := range newTypes {
		src := fmt.Sprintf("%s.RegisterType(%q, (*%s)(nil))", rtAlias, name, name)
		if prog, err := s.in.Compile(src); err == nil {
			_, _ = s.run(ctx, prog)
		}
	}
}

// receiverName returns the base type name of a method receiver.
func receiverName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// methodNames returns the sorted methods declared at the prompt for a type.
func (d *declIndex) methodNames(typeName string) []string {
	var out []string
	for m := range d.methods[strings.TrimPrefix(typeName, "*")] {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// undefinedName finds the first identifier of a chunk that is declared
// neither in the chunk nor in the session (nor predeclared), with its
// position in the input.
func (s *Session) undefinedName(chunk string, off int, input string) (name string, line, col int) {
	fset := token.NewFileSet()
	pre := "package p; func _() {\n" + mask(input[:off])
	f, err := parser.ParseFile(fset, "", pre+chunk+"\n}", 0)
	if err != nil {
		return "", 0, 0
	}
	declared := map[string]bool{}
	for _, w := range goWords {
		declared[w] = true
	}
	for _, w := range []string{"int8", "int16", "int32", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "complex64", "complex128", "iota", "comparable"} {
		declared[w] = true
	}
	for n := range s.globals() {
		declared[n] = true
	}
	for n := range s.decls.funcs {
		declared[n] = true
	}
	for n := range s.decls.types {
		declared[n] = true
	}
	for n := range s.decls.imports {
		declared[n] = true
	}
	for n := range Preimports() {
		declared[n] = true
	}
	skip := map[*ast.Ident]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						declared[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range x.Names {
				declared[id.Name] = true
			}
		case *ast.TypeSpec:
			declared[x.Name.Name] = true
		case *ast.Field:
			for _, id := range x.Names {
				declared[id.Name] = true
			}
		case *ast.RangeStmt:
			for _, e := range []ast.Expr{x.Key, x.Value} {
				if id, ok := e.(*ast.Ident); ok {
					declared[id.Name] = true
				}
			}
		case *ast.LabeledStmt:
			declared[x.Label.Name] = true
		case *ast.SelectorExpr:
			skip[x.Sel] = true
		case *ast.KeyValueExpr:
			if id, ok := x.Key.(*ast.Ident); ok {
				skip[id] = true
			}
		case *ast.BranchStmt:
			if x.Label != nil {
				skip[x.Label] = true
			}
		}
		return true
	})
	ast.Inspect(f.Decls[0].(*ast.FuncDecl).Body, func(n ast.Node) bool {
		if name != "" {
			return false
		}
		if id, ok := n.(*ast.Ident); ok && !skip[id] && !declared[id.Name] && id.Name != "_" {
			p := fset.Position(id.Pos())
			name, line, col = id.Name, p.Line-1, p.Column
		}
		return true
	})
	return name, line, col
}

// dropKnownImports blanks (keeping positions) the imports of a declaration
// chunk that the session already has under the same name: the interpreter
// refuses to import a package twice.
func (s *Session) dropKnownImports(src string) string {
	if !strings.Contains(src, "import") {
		return src
	}
	fset := token.NewFileSet()
	const head = "package p;"
	f, err := parser.ParseFile(fset, "", head+src, parser.ImportsOnly)
	if err != nil {
		return src
	}
	pre := Preimports()
	known := func(sp *ast.ImportSpec) bool {
		path := strings.Trim(sp.Path.Value, "\"`")
		alias := path[strings.LastIndex(path, "/")+1:]
		if sp.Name != nil {
			alias = sp.Name.Name
		}
		return pre[alias] == path || s.decls.imports[alias] == path
	}
	b := []byte(src)
	blank := func(n ast.Node) {
		from, to := fset.Position(n.Pos()).Offset-len(head), fset.Position(n.End()).Offset-len(head)
		for i := from; i < to; i++ {
			if b[i] != '\n' {
				b[i] = ' '
			}
		}
	}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		all := true
		for _, sp := range gd.Specs {
			if !known(sp.(*ast.ImportSpec)) {
				all = false
			}
		}
		if all {
			blank(gd)
			continue
		}
		for _, sp := range gd.Specs {
			if known(sp.(*ast.ImportSpec)) {
				blank(sp)
			}
		}
	}
	return string(b)
}

// mainName replaces the identifier main in the interpreter: yaegi runs a
// declared main function at the end of every later evaluation.
const mainName = "main_"

// renameMain replaces every identifier main of src by mainName.
func renameMain(src string) string {
	if !strings.Contains(src, "main") {
		return src
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var sc scanner.Scanner
	sc.Init(file, []byte(src), nil, 0)
	var offs []int
	for {
		pos, tok, lit := sc.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.IDENT && lit == "main" {
			offs = append(offs, file.Offset(pos))
		}
	}
	for i := len(offs) - 1; i >= 0; i-- {
		o := offs[i]
		src = src[:o] + mainName + src[o+len("main"):]
	}
	return src
}

// leadingComment returns the // comment lines that end the text before a
// declaration.
func leadingComment(before string) string {
	lines := strings.Split(strings.TrimRight(before, " \t"), "\n")
	if len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	var doc []string
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "//") {
			break
		}
		doc = append([]string{l}, doc...)
	}
	return strings.Join(doc, "\n")
}

// selfRedefine rewrites `v := f(v)` statements of a chunk, whose names all
// exist and whose right side reads them, into `v  = f(v)` (same columns):
// yaegi would otherwise create the new v before reading the old one. The
// caller falls back to the original when the rewrite does not compile (a
// new type for v).
func (s *Session) selfRedefine(src string) (string, bool) {
	if !strings.Contains(src, ":=") {
		return src, false
	}
	fset := token.NewFileSet()
	const head = "package p; func _() {\n"
	f, err := parser.ParseFile(fset, "", head+src+"\n}", 0)
	if err != nil {
		return src, false
	}
	globals := s.globals()
	b := []byte(src)
	changed := false
	for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
		as, ok := st.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE {
			continue
		}
		names := map[string]bool{}
		all := true
		for _, l := range as.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok {
				all = false
				break
			}
			if _, exists := globals[id.Name]; !exists && id.Name != "_" {
				all = false
				break
			}
			names[id.Name] = true
		}
		if !all {
			continue
		}
		reads := false
		for _, r := range as.Rhs {
			ast.Inspect(r, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && names[id.Name] {
					reads = true
				}
				return !reads
			})
		}
		if reads {
			o := fset.Position(as.TokPos).Offset - len(head)
			b[o], b[o+1] = ' ', '='
			changed = true
		}
	}
	return string(b), changed
}
