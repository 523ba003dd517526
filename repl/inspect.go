package repl

import (
	"fmt"
	"go/ast"
	"go/parser"
	"reflect"
	"sort"
	"strings"

	"github.com/gotensor/gt/repl/symbols"
	tl "github.com/gotensor/gt/tensorlib"
	"github.com/traefik/yaegi/stdlib"
)

// Inspect returns the documentation of name: a package ("tl"), a package
// member ("tl.Zeros", "nn.Linear"), a method through a type or a variable
// ("tl.Tensor.Add", "x.Add"), a function or type declared at the prompt, or
// a variable (its type and value).
func (s *Session) Inspect(name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = strings.TrimSpace(name)
	if doc, ok := symbols.Docs[name]; ok {
		return doc, nil
	}
	if src, ok := s.decls.funcs[name]; ok {
		return src, nil
	}
	if src, ok := s.decls.types[name]; ok {
		return withMethods(src, s.decls.methodNames(name)), nil
	}
	parts := strings.Split(name, ".")
	globals := s.globals()
	if v, ok := globals[parts[0]]; ok && v.IsValid() {
		t := v.Type()
		if v.Kind() == reflect.Interface && !v.IsNil() {
			t = v.Elem().Type()
		}
		if len(parts) == 1 {
			return s.describeVar(parts[0], v, t), nil
		}
		if len(parts) == 2 {
			if doc, ok := s.memberDoc(t, parts[1]); ok {
				return doc, nil
			}
		}
	}
	if len(parts) == 2 {
		if p, ok := stdlib.Symbols[parts[0]+"/"+parts[0]]; ok {
			if v, ok := p[parts[1]]; ok {
				return fmt.Sprintf("%s.%s: %s", parts[0], parts[1], v.Type()), nil
			}
		}
		if methods, ok := s.decls.methods[parts[0]]; ok {
			if src, ok := methods[parts[1]]; ok {
				return src, nil
			}
		}
	}
	return "", fmt.Errorf("no documentation for %s", name)
}

// memberDoc documents a field or method of a runtime type.
func (s *Session) memberDoc(t reflect.Type, member string) (string, bool) {
	tn := s.typeString(t)
	base := strings.TrimPrefix(tn, "*")
	if doc, ok := symbols.Docs[base+"."+member]; ok {
		return doc, true
	}
	if src, ok := s.decls.methods[base][member]; ok {
		return src, true
	}
	if m, ok := t.MethodByName(member); ok {
		return fmt.Sprintf("%s.%s: %s", tn, member, m.Type), true
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() == reflect.Struct {
		if f, ok := st.FieldByName(member); ok {
			return fmt.Sprintf("field %s.%s %s", base, member, s.typeString(f.Type)), true
		}
	}
	return "", false
}

// describeVar shows a variable's type and a one-line summary of its value.
func (s *Session) describeVar(name string, v reflect.Value, t reflect.Type) string {
	var b strings.Builder
	fmt.Fprintf(&b, "var %s %s", name, s.typeString(t))
	if v.CanInterface() {
		if x, ok := v.Interface().(*tl.Tensor); ok && x != nil {
			fmt.Fprintf(&b, "\nshape %s, %s, requires_grad=%v", shapeString(x.Shape()), x.DType(), x.RequiresGrad())
			if n := x.GradFn(); n != nil {
				fmt.Fprintf(&b, ", grad_fn=<%s>", n.Name())
			}
		}
	}
	tn := strings.TrimPrefix(s.typeString(t), "*")
	if src, ok := s.decls.types[tn]; ok {
		b.WriteString("\n\n" + withMethods(src, s.decls.methodNames(tn)))
	} else if doc, ok := symbols.Docs[tn]; ok {
		b.WriteString("\n\n" + doc)
	}
	return b.String()
}

func withMethods(src string, methods []string) string {
	if len(methods) == 0 {
		return src
	}
	return src + "\n\nmethods: " + strings.Join(methods, ", ")
}

// members lists the exported methods and fields of a runtime type, with
// the methods declared at the prompt for interpreted types.
func (s *Session) members(t reflect.Type) []string {
	set := map[string]bool{}
	for i := 0; i < t.NumMethod(); i++ {
		set[t.Method(i).Name] = true
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
		for i := 0; i < st.NumMethod(); i++ {
			set[st.Method(i).Name] = true
		}
	} else if t.Kind() != reflect.Interface {
		pt := reflect.PointerTo(t)
		for i := 0; i < pt.NumMethod(); i++ {
			set[pt.Method(i).Name] = true
		}
	}
	if st.Kind() == reflect.Struct {
		for i := 0; i < st.NumField(); i++ {
			if f := st.Field(i); f.IsExported() {
				set[f.Name] = true
			}
		}
	}
	for _, m := range s.decls.methodNames(s.typeString(t)) {
		set[m] = true
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// exprType resolves, without evaluating anything, the type of a chain such
// as x, x.Field, x.Method(args).Other() or pkg.Func(args): nil when it
// cannot tell.
func (s *Session) exprType(src string) reflect.Type {
	e, err := parser.ParseExpr(src)
	if err != nil {
		return nil
	}
	return s.typeOfExpr(e)
}

func (s *Session) typeOfExpr(e ast.Expr) reflect.Type {
	switch x := e.(type) {
	case *ast.ParenExpr:
		return s.typeOfExpr(x.X)
	case *ast.Ident:
		if v, ok := s.globals()[x.Name]; ok && v.IsValid() {
			if v.Kind() == reflect.Interface && !v.IsNil() {
				return v.Elem().Type()
			}
			return v.Type()
		}
	case *ast.CallExpr:
		ft := s.typeOfExpr(x.Fun)
		if ft != nil && ft.Kind() == reflect.Func && ft.NumOut() > 0 {
			return ft.Out(0)
		}
	case *ast.IndexExpr:
		t := s.typeOfExpr(x.X)
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			return t.Elem()
		}
	case *ast.SelectorExpr:
		if id, ok := x.X.(*ast.Ident); ok {
			if v, ok := s.packageMember(id.Name, x.Sel.Name); ok {
				if v.Kind() == reflect.Pointer && v.Elem().Kind() != reflect.Func && isTypeSymbol(v) {
					return nil // a type, not a value
				}
				return v.Type()
			}
		}
		t := s.typeOfExpr(x.X)
		if t == nil {
			return nil
		}
		if m, ok := t.MethodByName(x.Sel.Name); ok {
			// Method of a type: drop the receiver.
			in := make([]reflect.Type, 0, m.Type.NumIn())
			for i := 1; i < m.Type.NumIn(); i++ {
				in = append(in, m.Type.In(i))
			}
			out := make([]reflect.Type, m.Type.NumOut())
			for i := range out {
				out[i] = m.Type.Out(i)
			}
			return reflect.FuncOf(in, out, m.Type.IsVariadic())
		}
		st := t
		if st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() == reflect.Struct {
			if f, ok := st.FieldByName(x.Sel.Name); ok {
				return f.Type
			}
		}
	}
	return nil
}

// isTypeSymbol reports whether a symbol value is a type ((*T)(nil)).
func isTypeSymbol(v reflect.Value) bool {
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// packageMember looks a symbol up in a pre-imported package.
func (s *Session) packageMember(alias, name string) (reflect.Value, bool) {
	syms := packageSymbols(alias)
	if syms == nil {
		return reflect.Value{}, false
	}
	v, ok := syms[name]
	return v, ok
}

// packageSymbols returns the symbol table of a pre-imported package alias.
func packageSymbols(alias string) map[string]reflect.Value {
	for _, p := range symbols.Packages {
		if p.Alias == alias {
			base := p.Path[strings.LastIndex(p.Path, "/")+1:]
			return symbols.Symbols[p.Path+"/"+base]
		}
	}
	if alias == "fmt" || alias == "math" {
		return stdlib.Symbols[alias+"/"+alias]
	}
	return nil
}
