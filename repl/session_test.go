package repl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
)

// syncBuffer is a bytes.Buffer safe for the writes of interpreted
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}

// newSession returns a session writing to buffers.
func newSession(t testing.TB) (*Session, *syncBuffer, *syncBuffer) {
	t.Helper()
	out, errb := &syncBuffer{}, &syncBuffer{}
	s, err := New(Options{Stdout: out, Stderr: errb, Stdin: strings.NewReader("")})
	if err != nil {
		t.Fatal(err)
	}
	return s, out, errb
}

// mustEval evaluates src and fails on error, returning the displayed text.
func mustEval(t *testing.T, s *Session, src string) string {
	t.Helper()
	res, err := s.Eval(context.Background(), src)
	if err != nil {
		t.Fatalf("Eval(%q): %v", src, err)
	}
	return res.Text()
}

// evalErr evaluates src, which must fail, and returns the *Error.
func evalErr(t *testing.T, s *Session, src string) *Error {
	t.Helper()
	_, err := s.Eval(context.Background(), src)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Eval(%q) = %v, want an *Error", src, err)
	}
	return e
}

func TestAutoDisplay(t *testing.T) {
	s, out, _ := newSession(t)
	for _, c := range []struct {
		src, show, out string
	}{
		{"x := tl.Ones(2, 2)", "", ""},
		{"x", "tensor([[1., 1.],\n        [1., 1.]])", ""},
		{"x.SumDim(1, false)", "tensor([2., 2.])", ""},
		{"1 + 2", "3", ""},
		{`"go"`, `"go"`, ""},
		{"[]int{1, 2}", "[1 2]", ""},
		{"n := 5", "", ""},
		{"n = 6", "", ""},
		{"n++", "", ""},
		{"n", "7", ""},
		{"fmt.Println(\"hi\")", "", "hi\n"},
		{"fmt.Printf(\"%d\\n\", n)", "", "7\n"},
		{"func noValue() {}", "", ""},
		{"noValue()", "", ""}, // never the previous value
		{"func two() (int, string) { return 1, \"a\" }", "", ""},
		{"two()", "1\n\"a\"", ""},
		{"var e error\ne", "", ""}, // a nil interface shows nothing
		{"if n > 0 { n-- }", "", ""},
		{"m := map[string]int{\"a\": 1}\nm[\"a\"]", "1", ""},
		{"x.Shape()", "[2 2]", ""},
		{"// only a comment", "", ""},
	} {
		out.Reset()
		got := mustEval(t, s, c.src)
		if got != c.show {
			t.Errorf("Eval(%q) shows %q, want %q", c.src, got, c.show)
		}
		if out.String() != c.out {
			t.Errorf("Eval(%q) printed %q, want %q", c.src, out.String(), c.out)
		}
	}
}

func TestNeverStale(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, "v := 41")
	if got := mustEval(t, s, "v + 1"); got != "42" {
		t.Fatalf("v + 1 = %q", got)
	}
	// A call without results, a statement and a declaration after a value:
	// none may show the previous value.
	for _, src := range []string{"tl.ManualSeed(1)", "v = 3", "func f() {}", "f()", "for i := 0; i < 2; i++ {}"} {
		if got := mustEval(t, s, src); got != "" {
			t.Errorf("Eval(%q) shows %q, want nothing", src, got)
		}
	}
}

func TestDeclarationsAndStatements(t *testing.T) {
	s, out, _ := newSession(t)
	got := mustEval(t, s, `type P struct{ X, Y float64 }
func (p P) Norm() float64 { return math.Sqrt(p.X*p.X + p.Y*p.Y) }
p := P{3, 4}
func double(v float64) float64 { return 2 * v }
fmt.Println("norm", p.Norm())
double(p.Norm())`)
	if got != "10" {
		t.Fatalf("shows %q, want 10", got)
	}
	if out.String() != "norm 5\n" {
		t.Fatalf("printed %q", out.String())
	}
	// Redeclaring a function and a variable in later inputs.
	mustEval(t, s, "func double(v float64) float64 { return 3 * v }")
	mustEval(t, s, `p := "now a string"`)
	if got := mustEval(t, s, "double(2)"); got != "6" {
		t.Fatalf("double(2) = %q after redeclaring", got)
	}
	if got := mustEval(t, s, "p"); got != `"now a string"` {
		t.Fatalf("p = %q", got)
	}
	// Statements then a declaration then statements, on one line.
	if got := mustEval(t, s, "a := 1; type Q int; b := Q(a + 1); b"); got != "2" {
		t.Fatalf("mixed one-liner shows %q", got)
	}
}

func TestErrorsHavePositions(t *testing.T) {
	s, _, _ := newSession(t)
	for _, c := range []struct {
		src       string
		kind      ErrorKind
		line, col int
		msg       string
	}{
		{"undefinedVar + 1", CompileError, 1, 1, "undefined: undefinedVar"},
		{"a := 1\nb := nothing", CompileError, 2, 6, "undefined: nothing"},
		{"z := )", SyntaxError, 1, 6, "expected operand"},
		{"x := 1\ny := x +\n", SyntaxError, 2, 9, "expected operand"},
		{"func f( {", SyntaxError, 1, 9, ""},
		{"s := \"unterminated", SyntaxError, 1, 6, "string literal not terminated"},
		{"q := 1\nq.Foo()", CompileError, 2, 1, ""},
	} {
		e := evalErr(t, s, c.src)
		if e.Kind != c.kind || e.Line != c.line || e.Col != c.col || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("Eval(%q) = %v (kind %d at %d:%d), want kind %d at %d:%d containing %q",
				c.src, e, e.Kind, e.Line, e.Col, c.kind, c.line, c.col, c.msg)
		}
	}
}

func TestPanicsKeepState(t *testing.T) {
	s, _, errb := newSession(t)
	mustEval(t, s, "keep := tl.Arange(3)")
	for _, c := range []struct{ src, msg string }{
		{"tl.Ones(2, 3).MatMul(tl.Ones(2, 3))", "MatMul: mat1 and mat2 shapes cannot be multiplied"},
		{"tl.Ones(2).Add(tl.Ones(3))", "Add"},
		{"type N struct{ V int }\nvar np *N\nnp.V", "nil pointer dereference"},
		{"var sl []int\nsl[3]", "index out of range"},
		{"panic(\"by hand\")", "by hand"},
		{"big := tl.Zeros(1 << 40)", "can't allocate memory"},
		{"func deep(n int) int { if n == 0 { var m map[string]int; m[\"x\"] = 1 }; return deep(n - 1) }\ndeep(3)", "nil map"},
	} {
		e := evalErr(t, s, c.src)
		if e.Kind != PanicError || !strings.Contains(e.Error(), c.msg) {
			t.Errorf("Eval(%q) = %v (kind %d), want a panic containing %q", c.src, e, e.Kind, c.msg)
		}
		if got := mustEval(t, s, "keep"); got != "tensor([0, 1, 2])" {
			t.Fatalf("after %q, keep = %q", c.src, got)
		}
	}
	var te *tl.Error
	_, err := s.Eval(context.Background(), "tl.Ones(2).View(3)")
	if !errors.As(err, &te) {
		t.Errorf("a tensorlib panic unwraps to *tl.Error: %v", err)
	}
	// A panicking goroutine is reported and the session goes on.
	mustEval(t, s, "done := make(chan bool)\ngo func(c chan bool) { defer close(c); panic(\"in a goroutine\") }(done)\n<-done")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errb.String(), "panic in goroutine: in a goroutine") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(errb.String(), "panic in goroutine: in a goroutine") {
		t.Errorf("goroutine panic not reported: %q", errb.String())
	}
	if got := mustEval(t, s, "keep.Sum()"); got != "tensor(3)" {
		t.Fatalf("after the goroutine panic, keep.Sum() = %q", got)
	}
}

func TestGoStatementArguments(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, `res := make(chan int, 3)
for i := 0; i < 3; i++ {
	go func(v int, scale float64) { res <- v * int(scale) }(i, 2)
}
total := 0
for k := 0; k < 3; k++ { total += <-res }`)
	if got := mustEval(t, s, "total"); got != "6" {
		t.Fatalf("total = %q, want 6 (arguments evaluated at the go statement)", got)
	}
}

func TestInterruptLoop(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, "before := tl.Arange(4)\ncount := 0")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Eval(ctx, "for { count++ }")
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Eval = %v, want ErrInterrupted", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("interrupt took %v", d)
	}
	if got := mustEval(t, s, "before"); got != "tensor([0, 1, 2, 3])" {
		t.Fatalf("before = %q", got)
	}
	if got := mustEval(t, s, "count > 0"); got != "true" {
		t.Fatalf("count > 0 = %q", got)
	}
	// The interpreter is idle again: counting has stopped.
	c1 := mustEval(t, s, "count")
	time.Sleep(20 * time.Millisecond)
	if c2 := mustEval(t, s, "count"); c1 != c2 {
		t.Fatalf("the loop still runs after the interrupt: %s then %s", c1, c2)
	}
}

func TestInterruptKernel(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, "a := tl.Ones(4000, 4000)\nvar c *tl.Tensor")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	start := time.Now()
	// One MatMul of 128 GFLOP (seconds of work) is stopped from inside:
	// the interpreter cannot stop a compiled call, tl.Interrupt does.
	_, err := s.Eval(ctx, "c = a.MatMul(a)")
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("Eval = %v, want ErrInterrupted", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("interrupt took %v", d)
	}
	if tl.Interrupted() {
		t.Fatal("the interrupt flag is still set")
	}
	if got := mustEval(t, s, "c == nil"); got != "true" {
		t.Fatalf("the interrupted MatMul assigned c")
	}
	if got := mustEval(t, s, "a.Shape()"); got != "[4000 4000]" {
		t.Fatalf("a.Shape() = %q", got)
	}
	if got := mustEval(t, s, "tl.Ones(2, 2).MatMul(tl.Ones(2, 2)).Sum()"); got != "tensor(8.)" {
		t.Fatalf("matmul after interrupt = %q", got)
	}
}

func TestIsComplete(t *testing.T) {
	for _, c := range []struct {
		src  string
		want bool
	}{
		{"", true},
		{"x := 1", true},
		{"x := f(1,", false},
		{"x := f(1,\n2)", true},
		{"for i := 0; i < 3; i++ {", false},
		{"for i := 0; i < 3; i++ {\n}", true},
		{"func f() {\n\treturn\n", false},
		{"x := 1 +", false},
		{"x := a.", false},
		{"s := `raw\nstring", false},
		{"s := `raw\nstring`", true},
		{"/* open comment", false},
		{"x := 1 // comment {", true},
		{":vars", true},
		{"y := []int{\n1,\n2,\n}", true},
		{"x := )", true}, // an error, reported on evaluation
	} {
		if got := IsComplete(c.src); got != c.want {
			t.Errorf("IsComplete(%q) = %v, want %v", c.src, got, c.want)
		}
	}
}

// TestWalkthrough types the seed walkthrough, including the model type,
// into a session line by line and compares what it prints and shows with
// PyTorch's output.
func TestWalkthrough(t *testing.T) {
	want, err := os.ReadFile("testdata/seed_walkthrough.torch-1.13.out")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("testdata/walkthrough.txt")
	if err != nil {
		t.Fatal(err)
	}
	s, out, _ := newSession(t)
	var buf strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(script))
	for sc.Scan() {
		buf.WriteString(sc.Text() + "\n")
		if !IsComplete(buf.String()) {
			continue
		}
		src := buf.String()
		buf.Reset()
		res, err := s.Eval(context.Background(), src)
		if err != nil {
			t.Fatalf("Eval(%q): %v", src, err)
		}
		if !res.Empty() {
			out.Write([]byte(res.Text() + "\n"))
		}
	}
	if out.String() != string(want) {
		t.Errorf("walkthrough output:\n%s\nwant (PyTorch 1.13):\n%s", out.String(), want)
	}
	if got := mustEval(t, s, ":vars"); !strings.Contains(got, "model      *LinearRegressionModel") {
		t.Errorf(":vars does not name the interpreted type:\n%s", got)
	}
}
