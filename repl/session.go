package repl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/gotensor/gt/repl/symbols"
	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/viz"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// Options configure a Session. The zero value uses the process's standard
// streams.
type Options struct {
	// Stdout and Stderr receive what evaluated code prints, and the
	// messages of commands such as :step.
	Stdout, Stderr io.Writer
	// Stdin is what evaluated code reads.
	Stdin io.Reader
	// ReadLine reads one line for interactive commands (:step); nil reads
	// lines from Stdin.
	ReadLine func(prompt string) (string, error)
	// Width returns the display width in character cells (text charts,
	// tables); nil or 0 means 80.
	Width func() int
}

// Result is what an evaluation displays.
type Result struct {
	// Values are the values of the input's final expression (several for a
	// call with several results); nil when nothing is shown.
	Values []any
	// Bundle renders Values (or a command's output) for display; nil when
	// there is nothing to show.
	Bundle viz.MIME
}

// Empty reports whether there is nothing to display.
func (r Result) Empty() bool { return r.Bundle == nil }

// Text returns the text/plain form of the result ("" when empty).
func (r Result) Text() string { return r.Bundle.Text() }

// ErrInterrupted is returned (wrapped in *Error) when an evaluation was
// cancelled; the session's variables are intact.
var ErrInterrupted = errors.New("interrupted")

// ErrQuit is returned by the :quit command.
var ErrQuit = errors.New("quit")

// ErrorKind classifies evaluation errors.
type ErrorKind int

// Kinds of evaluation errors.
const (
	SyntaxError  ErrorKind = iota // the input does not parse
	CompileError                  // it parses but does not type-check or compile
	PanicError                    // it panicked while running (state is kept)
	Interrupted                   // it was cancelled
	CommandError                  // a :command failed
)

// Error is an evaluation error. Line and Col locate it in the input (1-based;
// 0 when unknown).
type Error struct {
	Kind      ErrorKind
	Line, Col int
	Msg       string
	Value     any // the panic value, for PanicError
}

// Error formats the error as "line:col: message" or "panic: message".
func (e *Error) Error() string {
	switch e.Kind {
	case PanicError:
		s := "panic: " + e.Msg
		if e.Line > 0 {
			s += fmt.Sprintf(" [at %d:%d]", e.Line, e.Col)
		}
		return s
	case Interrupted:
		return "interrupted"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return e.Msg
}

// Unwrap returns ErrInterrupted for interruptions and the panic value when
// it is an error.
func (e *Error) Unwrap() error {
	if e.Kind == Interrupted {
		return ErrInterrupted
	}
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// entry is one successfully evaluated piece of input, kept for :save.
type entry struct {
	kind chunkKind
	src  string
	show bool // an expression whose value was displayed
}

// Session is one interpreter with its variables, declared types and
// history. Its methods are safe for concurrent use; evaluations run one at a
// time.
type Session struct {
	opts   Options
	mu     sync.Mutex
	in     *interp.Interpreter
	stderr *stderrFilter
	rt     *runtimeState
	log    []entry
	decls  *declIndex

	stdinLines *bufio.Reader // Stdin, for sub-prompts without ReadLine
	inputs     int           // Go inputs evaluated, for creation sites In[n]
}

// New returns a session with gt's packages and fmt and math pre-imported.
func New(opts Options) (*Session, error) {
	if opts.Stdout == nil {
		opts.Stdout = os.Stdout
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	s := &Session{opts: opts}
	if err := s.init(); err != nil {
		return nil, err
	}
	return s, nil
}

// Preimports returns the pre-imported packages as alias → import path.
func Preimports() map[string]string {
	m := map[string]string{"fmt": "fmt", "math": "math"}
	for _, p := range symbols.Packages {
		m[p.Alias] = p.Path
	}
	return m
}

// init (re)creates the interpreter.
func (s *Session) init() error {
	s.stderr = &stderrFilter{w: s.opts.Stderr}
	s.rt = newRuntimeState(s)
	s.log = nil
	s.decls = newDeclIndex()
	s.in = interp.New(interp.Options{Stdout: s.opts.Stdout, Stderr: s.stderr, Stdin: s.opts.Stdin})
	if err := s.in.Use(stdlib.Symbols); err != nil {
		return err
	}
	if err := s.in.Use(symbols.Symbols); err != nil {
		return err
	}
	if err := s.in.Use(s.rt.exports()); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("import (\n\t\"fmt\"\n\t\"math\"\n")
	for _, p := range symbols.Packages {
		fmt.Fprintf(&b, "\t%s %q\n", p.Alias, p.Path)
	}
	fmt.Fprintf(&b, "\t%s %q\n)", rtAlias, rtPath)
	if _, err := s.in.Eval(b.String()); err != nil {
		return fmt.Errorf("repl: pre-imports: %w", err)
	}
	return nil
}

// Reset forgets every variable, type and function: a fresh interpreter.
func (s *Session) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.init()
}

// Eval evaluates one input: a :command, or Go declarations and statements.
// It returns what to display (Result.Empty when nothing) and an error: a
// *Error for syntax and compile errors, panics and interruptions
// (errors.Is(err, ErrInterrupted)), or ErrQuit for :quit. Cancelling ctx
// interrupts the evaluation.
func (s *Session) Eval(ctx context.Context, src string) (Result, error) {
	trimmed := strings.TrimSpace(src)
	if trimmed == "" {
		return Result{}, nil
	}
	if strings.HasPrefix(trimmed, ":") {
		return s.command(ctx, trimmed)
	}
	if strings.HasSuffix(trimmed, "?") && !strings.Contains(trimmed, "\n") {
		doc, err := s.Inspect(strings.TrimSpace(strings.TrimSuffix(trimmed, "?")))
		if err != nil {
			return Result{}, &Error{Kind: CommandError, Msg: err.Error()}
		}
		return textResult(doc), nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.evalGo(ctx, src, true)
}

// evalGo evaluates Go source (no command); record keeps it for :save.
func (s *Session) evalGo(ctx context.Context, src string, record bool) (Result, error) {
	// Autograd nodes created by this input (with tl.SetDebug or anomaly mode
	// on) are located as In[n]: the Go frames are the interpreter's.
	s.inputs++
	site := "In[" + strconv.Itoa(s.inputs) + "]"
	tl.SetSiteFunc(func() string { return site })
	defer tl.SetSiteFunc(nil)
	chunks, err := splitInput(src)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for i, c := range chunks {
		last := i == len(chunks)-1
		res = Result{}
		switch c.kind {
		case declChunk:
			if strings.TrimSpace(s.dropKnownImports(c.src)) == "" {
				break // only imports the session has
			}
			if _, err := s.exec(ctx, s.dropKnownImports(c.src), c.offset, src); err != nil {
				return Result{}, err
			}
			s.afterDecl(ctx, c, src)
		case stmtChunk:
			body, expr, exprOff, err := splitLastExpr(src, c)
			if err != nil {
				return Result{}, err
			}
			if !last || expr == nil || !displayable(expr) {
				if _, err := s.exec(ctx, c.src, c.offset, src); err != nil {
					return Result{}, err
				}
				break
			}
			if strings.TrimSpace(body) != "" {
				if _, err := s.exec(ctx, body, c.offset, src); err != nil {
					return Result{}, err
				}
				if record {
					s.log = append(s.log, entry{kind: stmtChunk, src: body})
				}
			}
			exprSrc := src[exprOff : exprOff+int(expr.End()-expr.Pos())]
			vals, shown, err := s.show(ctx, exprSrc, exprOff, src)
			if err != nil {
				return Result{}, err
			}
			if record {
				s.log = append(s.log, entry{kind: stmtChunk, src: exprSrc, show: shown})
			}
			if shown {
				res = s.resultOf(vals)
			}
			continue
		}
		if record {
			s.log = append(s.log, entry{kind: c.kind, src: c.src})
		}
	}
	return res, nil
}

// resultOf builds the display of an expression's values.
func (s *Session) resultOf(vals []any) Result {
	if len(vals) == 0 {
		return Result{}
	}
	if len(vals) == 1 {
		if vals[0] == nil {
			return Result{} // a nil interface (a nil error): nothing, like Python's None
		}
		b := viz.Bundle(vals[0])
		if fig, ok := vals[0].(*viz.Figure); ok && fig != nil && s.opts.Width != nil {
			if w := s.opts.Width(); w > 20 {
				b[viz.MIMEText] = []byte(fig.TextChart(w-1, viz.DefaultTextHeight))
			}
		}
		return Result{Values: vals, Bundle: b}
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = viz.Text(v)
	}
	return Result{Values: vals, Bundle: viz.MIME{viz.MIMEText: []byte(strings.Join(parts, "\n"))}}
}

// show evaluates an expression and returns its values; shown is false when
// it has no value (a call of a function without results), in which case it
// has been run as a statement.
func (s *Session) show(ctx context.Context, expr string, off int, input string) ([]any, bool, error) {
	prog, err := s.compile(wrapShow(renameMain(expr), off, input))
	if err != nil {
		// No value, or an error: run it as a statement for the real message.
		_, err := s.exec(ctx, expr, off, input)
		return nil, false, err
	}
	s.rt.captured = nil
	if _, err := s.run(ctx, prog); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == PanicError && e.Line == 0 {
			e.Line, e.Col = lineColAt(input, off)
		}
		return nil, false, err
	}
	vals := s.rt.captured
	s.rt.captured = nil
	return vals, true, nil
}

// exec compiles and runs one chunk of input located at off in input.
func (s *Session) exec(ctx context.Context, chunk string, off int, input string) (reflect.Value, error) {
	src := rewriteGoStmts(renameMain(chunk))
	var prog *interp.Program
	var err error
	if re, ok := s.selfRedefine(src); ok {
		prog, err = s.compile(padded(re, off, input))
	}
	if prog == nil {
		prog, err = s.compile(padded(src, off, input))
	}
	if err != nil {
		e := compileError(err)
		fixPosition(e, chunk, off, input)
		if e.Msg == "constant definition loop" || e.Msg == "variable definition loop" || errors.Is(err, errCompilerPanic) {
			if undef, _, _ := s.undefinedName(chunk, off, input); undef == "" {
				if ok, err := s.defineThroughClosure(ctx, chunk); ok {
					return reflect.Value{}, err
				}
			}
		}
		if e.Msg == "constant definition loop" {
			// yaegi's message for an undefined name in a := at top level.
			if name, line, col := s.undefinedName(chunk, off, input); name != "" {
				e.Msg, e.Line, e.Col = "undefined: "+name, line, col
			}
		}
		return reflect.Value{}, e
	}
	v, err := s.run(ctx, prog)
	var e *Error
	if errors.As(err, &e) && e.Kind == PanicError && strings.Contains(chunk, "\n") {
		// yaegi locates a panic in a compiled call at the start of the
		// enclosing block: not a position worth showing.
		if l, c := lineColAt(input, off); e.Line == l && e.Col == c {
			e.Line, e.Col = 0, 0
		}
	}
	return v, err
}

// errCompilerPanic marks a panic inside yaegi's compiler.
var errCompilerPanic = errors.New("the interpreter failed to compile this input")

// compile compiles src, turning a panic inside yaegi's compiler (it has a
// few on unusual inputs) into an error so the session survives.
func (s *Session) compile(src string) (prog *interp.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, fmt.Errorf("1:1: %w (%v); try splitting it or naming intermediate values", errCompilerPanic, r)
		}
	}()
	return s.in.Compile(src)
}

// run executes a compiled program, converting panics and cancellation into
// *Error and waiting, after a cancellation, for the interpreter to stop.
func (s *Session) run(ctx context.Context, prog *interp.Program) (reflect.Value, error) {
	s.stderr.begin()
	v, err := s.execute(ctx, prog)
	frames := s.stderr.end()
	if err == nil {
		return v, nil
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return reflect.Value{}, &Error{Kind: Interrupted, Msg: "interrupted"}
	}
	var p interp.Panic
	if errors.As(err, &p) {
		return reflect.Value{}, panicError(p.Value, frames)
	}
	return reflect.Value{}, compileError(err)
}

// stderrFilter passes the interpreter's stderr through, except the
// "L:C: panic: f(...)" lines yaegi prints while a panic unwinds, which it
// keeps to locate the panic.
type stderrFilter struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte
	capture bool
	frames  []string
}

func (f *stderrFilter) begin() {
	f.mu.Lock()
	f.capture, f.frames = true, nil
	f.mu.Unlock()
}

func (f *stderrFilter) end() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flushLocked()
	f.capture = false
	fr := f.frames
	f.frames = nil
	return fr
}

func (f *stderrFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			break
		}
		line := string(f.buf[:i+1])
		f.buf = f.buf[i+1:]
		if m := panicLine.FindStringSubmatch(line); m != nil {
			f.frames = append(f.frames, m[1])
			continue
		}
		if _, err := io.WriteString(f.w, line); err != nil {
			return len(p), err
		}
	}
	if len(f.buf) > 0 && !f.capture {
		f.flushLocked()
	}
	return len(p), nil
}

func (f *stderrFilter) flushLocked() {
	if len(f.buf) > 0 {
		_, _ = f.w.Write(f.buf)
		f.buf = nil
	}
}

func textResult(s string) Result {
	if s == "" {
		return Result{}
	}
	return Result{Bundle: viz.MIME{viz.MIMEText: []byte(strings.TrimRight(s, "\n"))}}
}
