package repl

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gotensor/gt/repl/symbols"
	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/viz"
)

// Command is a REPL command (":name args"); the notebook kernel exposes the
// same table as magics.
type Command struct {
	Name string // without the colon
	Args string // argument synopsis, e.g. "EXPR"
	Help string // one line
	Run  func(ctx context.Context, s *Session, arg string) (Result, error)
}

// Commands returns the command table, sorted by name.
func Commands() []Command {
	cmds := []Command{
		{"help", "", "list commands and keys", cmdHelp},
		{"vars", "", "list variables: name, type, and shape and dtype for tensors", cmdVars},
		{"type", "EXPR", "show the type of an expression (evaluates it)", cmdType},
		{"doc", "NAME", "show the documentation of a function, type, method or package (also NAME?)", cmdDoc},
		{"reset", "", "forget every variable, function and type", cmdReset},
		{"load", "FILE.go", "evaluate a Go file (runs its main function, if any)", cmdLoad},
		{"save", "FILE.go", "save the session as a runnable Go program", cmdSave},
		{"time", "INPUT", "evaluate and report the wall time", cmdTime},
		{"plot", "EXPR", "plot a slice or tensor as a line plot", cmdPlot},
		{"graph", "EXPR", "show the autograd graph behind a tensor", cmdGraph},
		{"step", "EXPR", "step through the backward pass of a scalar tensor", cmdStep},
		{"quit", "", "leave (Ctrl-D also does)", cmdQuit},
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	return cmds
}

// LookupCommand finds a command by name or unique prefix.
func LookupCommand(name string) (Command, bool) {
	var found []Command
	for _, c := range Commands() {
		if c.Name == name {
			return c, true
		}
		if strings.HasPrefix(c.Name, name) {
			found = append(found, c)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return Command{}, false
}

// command runs a ":name args" line.
func (s *Session) command(ctx context.Context, line string) (Result, error) {
	line = strings.TrimPrefix(line, ":")
	name, arg, _ := strings.Cut(line, " ")
	if i := strings.IndexAny(name, "\n\t"); i >= 0 {
		name, arg = name[:i], name[i+1:]+" "+arg
	}
	arg = strings.TrimSpace(arg)
	c, ok := LookupCommand(name)
	if !ok || name == "" {
		return Result{}, &Error{Kind: CommandError, Msg: fmt.Sprintf("unknown command :%s (try :help)", name)}
	}
	if c.Args != "" && arg == "" {
		return Result{}, &Error{Kind: CommandError, Msg: fmt.Sprintf("usage: :%s %s", c.Name, c.Args)}
	}
	return c.Run(ctx, s, arg)
}

func cmdHelp(_ context.Context, _ *Session, _ string) (Result, error) {
	var b strings.Builder
	b.WriteString("Type Go: declarations and statements; an expression shows its value.\n")
	fmt.Fprintf(&b, "Pre-imported: %s.\n\n", strings.Join(preimportNames(), ", "))
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range Commands() {
		fmt.Fprintf(w, "  :%s %s\t%s\n", c.Name, c.Args, c.Help)
	}
	w.Flush()
	b.WriteString("\nKeys: Tab completes, Ctrl-C clears the line or interrupts a running evaluation, Ctrl-D leaves.\n")
	b.WriteString("Input continues on the next line while brackets or a block are open.")
	return textResult(b.String()), nil
}

func preimportNames() []string {
	names := []string{}
	for _, p := range symbols.Packages {
		names = append(names, p.Alias)
	}
	return append(names, "fmt", "math")
}

// Var describes a session variable.
type Var struct {
	Name     string
	Type     string
	Shape    []int    // tensors only
	DType    tl.DType // tensors only
	Value    any      // the variable's value
	IsTensor bool
}

// Vars returns the session's variables, sorted by name.
func (s *Session) Vars() []Var {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vars()
}

func (s *Session) vars() []Var {
	var out []Var
	for name, v := range s.globals() {
		if strings.HasPrefix(name, "__gt") || name == "_" || !v.IsValid() {
			continue
		}
		vr := Var{Name: name, Type: s.typeString(v.Type())}
		if v.CanInterface() {
			vr.Value = v.Interface()
			if v.Kind() == reflect.Interface && !v.IsNil() {
				vr.Type = s.typeString(v.Elem().Type())
			}
		}
		if t, ok := vr.Value.(*tl.Tensor); ok && t != nil {
			vr.IsTensor, vr.Shape, vr.DType = true, t.Shape(), t.DType()
		}
		out = append(out, vr)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// typeString names a runtime type as the user spells it: tl.Tensor for
// tensorlib.Tensor, the declared name for types declared at the prompt.
func (s *Session) typeString(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	if name := s.rt.typeName(t); name != "" {
		return name
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + s.typeString(t.Elem())
	case reflect.Slice:
		return "[]" + s.typeString(t.Elem())
	case reflect.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), s.typeString(t.Elem()))
	case reflect.Map:
		return "map[" + s.typeString(t.Key()) + "]" + s.typeString(t.Elem())
	}
	str := t.String()
	for _, p := range symbols.Packages {
		base := p.Path[strings.LastIndex(p.Path, "/")+1:]
		if base != p.Alias {
			str = strings.ReplaceAll(str, base+".", p.Alias+".")
		}
	}
	return str
}

func cmdVars(_ context.Context, s *Session, _ string) (Result, error) {
	vars := s.Vars()
	if len(vars) == 0 {
		return textResult("no variables"), nil
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTYPE\tSHAPE\tDTYPE")
	for _, v := range vars {
		shape, dtype := "", ""
		if v.IsTensor {
			shape, dtype = shapeString(v.Shape), v.DType.String()
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", v.Name, v.Type, shape, dtype)
	}
	w.Flush()
	return textResult(b.String()), nil
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// Values evaluates an expression and returns its values (several for a
// multi-valued call). It is not recorded for :save.
func (s *Session) Values(ctx context.Context, expr string) ([]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.values(ctx, expr)
}

func (s *Session) values(ctx context.Context, expr string) ([]any, error) {
	if _, err := parser.ParseExpr(expr); err != nil {
		e := compileError(err)
		e.Kind, e.Line, e.Col = SyntaxError, 0, 0
		return nil, e
	}
	vals, shown, err := s.show(ctx, expr, 0, expr)
	if err != nil {
		return nil, err
	}
	if !shown {
		return nil, &Error{Kind: CommandError, Msg: expr + " has no value"}
	}
	return vals, nil
}

func (s *Session) value(ctx context.Context, expr string) (any, error) {
	vals, err := s.Values(ctx, expr)
	if err != nil {
		return nil, err
	}
	if len(vals) != 1 {
		return nil, &Error{Kind: CommandError, Msg: fmt.Sprintf("%s has %d values, want 1", expr, len(vals))}
	}
	return vals[0], nil
}

func cmdType(ctx context.Context, s *Session, arg string) (Result, error) {
	vals, err := s.Values(ctx, arg)
	if err != nil {
		return Result{}, err
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		if v == nil {
			parts[i] = "nil"
			continue
		}
		parts[i] = s.typeString(reflect.TypeOf(v))
		if t, ok := v.(*tl.Tensor); ok && t != nil {
			parts[i] += fmt.Sprintf(" (shape %s, %s)", shapeString(t.Shape()), t.DType())
		}
	}
	return textResult(strings.Join(parts, ", ")), nil
}

func cmdDoc(_ context.Context, s *Session, arg string) (Result, error) {
	doc, err := s.Inspect(arg)
	if err != nil {
		return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
	}
	return textResult(doc), nil
}

func cmdReset(_ context.Context, s *Session, _ string) (Result, error) {
	if err := s.Reset(); err != nil {
		return Result{}, err
	}
	return textResult("session reset"), nil
}

func cmdQuit(context.Context, *Session, string) (Result, error) { return Result{}, ErrQuit }

func cmdLoad(ctx context.Context, s *Session, arg string) (Result, error) {
	b, err := os.ReadFile(arg)
	if err != nil {
		return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
	}
	return s.Load(ctx, string(b))
}

// Load evaluates the source of a Go file: its package clause is ignored,
// its imports, declarations and statements are evaluated, and its main
// function, if it declares one, is run. Error positions are the file's.
func (s *Session) Load(ctx context.Context, src string) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.PackageClauseOnly); err == nil && f.Name != nil {
		end := int(f.Name.End()) - 1 // the first file of a new FileSet starts at Pos 1
		src = mask(src[:end]) + src[end:]
	}
	hasMain := declaresMain(src)
	res, err := s.evalGo(ctx, src, true)
	if err != nil || !hasMain {
		return res, err
	}
	return s.evalGo(ctx, "main()", true)
}

func cmdSave(_ context.Context, s *Session, arg string) (Result, error) {
	prog, err := s.Program()
	if err != nil {
		return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
	}
	if err := os.WriteFile(arg, []byte(prog), 0o644); err != nil {
		return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
	}
	return textResult(fmt.Sprintf("saved %s (go run %s)", arg, arg)), nil
}

func cmdTime(ctx context.Context, s *Session, arg string) (Result, error) {
	start := time.Now()
	res, err := s.Eval(ctx, arg)
	d := time.Since(start)
	fmt.Fprintf(s.opts.Stdout, "time: %s\n", roundDuration(d))
	return res, err
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d
}

func cmdPlot(ctx context.Context, s *Session, arg string) (res Result, err error) {
	v, err := s.value(ctx, arg)
	if err != nil {
		return Result{}, err
	}
	var fig *viz.Figure
	if f, ok := v.(*viz.Figure); ok {
		fig = f
	} else if perr := tl.Catch(func() { fig = viz.LinePlot(v, viz.PlotOptions{Title: arg}) }); perr != nil {
		return Result{}, &Error{Kind: CommandError, Msg: perr.Error()}
	}
	return Result{Values: []any{fig}, Bundle: viz.Bundle(fig)}, nil
}

// declaresMain reports whether src (a file without its package clause)
// declares a main function.
func declaresMain(src string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+src, 0)
	if err != nil {
		return false
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
			return true
		}
	}
	return false
}
