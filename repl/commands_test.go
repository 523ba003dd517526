package repl

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotensor/gt/repl/internal/symgen"
	"github.com/gotensor/gt/viz"
)

func TestComplete(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, `x := tl.Ones(2, 3)
counter := 1
type Model struct{ Linear *nn.Linear; hidden int }
func (m *Model) Forward(v *tl.Tensor) *tl.Tensor { return m.Linear.Forward(v) }
model := &Model{Linear: nn.NewLinear(3, 1)}
func helper() int { return 1 }`)
	for _, c := range []struct {
		line  string
		want  []string // each must be among the candidates
		not   []string
		start int
	}{
		{"x.Mat", []string{"MatMul"}, []string{"Add"}, 2},
		{"x.Add(x).Su", []string{"Sub", "Sum", "SumDim"}, nil, 9},
		{"tl.Ze", []string{"Zeros", "ZerosLike"}, nil, 3},
		{"y := tl.Ones(2).Resh", []string{"Reshape"}, nil, 16},
		{"nn.NewLin", []string{"NewLinear"}, nil, 3},
		{"fmt.Sprin", []string{"Sprint", "Sprintf", "Sprintln"}, nil, 4},
		{"cou", []string{"counter"}, nil, 0},
		{"hel", []string{"helper"}, nil, 0},
		{"Mod", []string{"Model"}, nil, 0},
		{"model.", []string{"Forward", "Linear"}, []string{"hidden"}, 6},
		{"model.Linear.", []string{"Forward", "Weight", "Bias"}, nil, 13},
		{"model.Linear.Weight.Gr", []string{"Grad", "GradFn"}, nil, 20},
		{":va", []string{"vars"}, nil, 1},
		{":", []string{"help", "quit", "vars"}, nil, 1},
		{"ret", []string{"return"}, nil, 0},
		{"unknown.", nil, []string{"Add"}, 8},
	} {
		got, start := s.Complete(c.line, len(c.line))
		if start != c.start {
			t.Errorf("Complete(%q) starts at %d, want %d", c.line, start, c.start)
		}
		for _, w := range c.want {
			if !contains(got, w) {
				t.Errorf("Complete(%q) = %v, lacks %q", c.line, got, w)
			}
		}
		for _, w := range c.not {
			if contains(got, w) {
				t.Errorf("Complete(%q) = %v, should not offer %q", c.line, got, w)
			}
		}
	}
	// Completion in the middle of a line.
	line := "x.Resh + 1"
	if got, start := s.Complete(line, 6); !contains(got, "Reshape") || start != 2 {
		t.Errorf("Complete mid-line = %v at %d", got, start)
	}
	// Completion evaluates nothing.
	mustEval(t, s, "calls := 0\nfunc bump() *tl.Tensor { calls++; return x }")
	s.Complete("bump().Ad", 9)
	if got := mustEval(t, s, "calls"); got != "0" {
		t.Errorf("completion called a function: calls = %s", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestInspect(t *testing.T) {
	s, _, _ := newSession(t)
	mustEval(t, s, "x := tl.Ones(2).SetRequiresGrad(true)\ny := x.MulScalar(2)\n// Twice doubles.\nfunc Twice(v int) int { return 2 * v }")
	for _, c := range []struct{ name, want string }{
		{"tl.Zeros", "Zeros returns"},
		{"tl.Tensor.MatMul", "func (a *Tensor) MatMul"},
		{"x.Add", "Add returns"},
		{"nn.Linear", "type Linear struct"},
		{"tl", "package tensorlib"},
		{"y", "grad_fn=<MulBackward0>"},
		{"Twice", "// Twice doubles."},
		{"math.Sqrt", "func(float64) float64"},
	} {
		got, err := s.Inspect(c.name)
		if err != nil || !strings.Contains(got, c.want) {
			t.Errorf("Inspect(%q) = %q, %v; want it to contain %q", c.name, got, err, c.want)
		}
	}
	if _, err := s.Inspect("nothing.Here"); err == nil {
		t.Error("Inspect of an unknown name succeeded")
	}
	if got := mustEval(t, s, "tl.Ones?"); !strings.Contains(got, "func Ones") {
		t.Errorf("NAME? = %q", got)
	}
}

func TestCommands(t *testing.T) {
	s, out, _ := newSession(t)
	ctx := context.Background()
	mustEval(t, s, "w := tl.Zeros(3, 2)\nk := 7\nlosses := []float64{4, 2, 1, 0.5}")

	vars := mustEval(t, s, ":vars")
	for _, want := range []string{"NAME", "k       int", "losses  []float64", "w       *tl.Tensor  [3, 2]  torch.float32"} {
		if !strings.Contains(vars, want) {
			t.Errorf(":vars lacks %q:\n%s", want, vars)
		}
	}
	if got := mustEval(t, s, ":type w.Sum()"); got != "*tl.Tensor (shape [], torch.float32)" {
		t.Errorf(":type = %q", got)
	}
	if _, err := s.Eval(ctx, ":type k, 1.5"); err == nil {
		t.Error(":type of a non-expression succeeded")
	}
	help := mustEval(t, s, ":help")
	for _, c := range Commands() {
		if !strings.Contains(help, ":"+c.Name) {
			t.Errorf(":help lacks :%s", c.Name)
		}
	}
	if _, err := s.Eval(ctx, ":nosuch"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf(":nosuch = %v", err)
	}
	if _, err := s.Eval(ctx, ":type"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf(":type without argument = %v", err)
	}
	if _, err := s.Eval(ctx, ":quit"); !errors.Is(err, ErrQuit) {
		t.Errorf(":quit = %v", err)
	}
	if _, err := s.Eval(ctx, ":q"); !errors.Is(err, ErrQuit) {
		t.Errorf(":q (a prefix) = %v", err)
	}

	out.Reset()
	res, err := s.Eval(ctx, ":time w.Add(w).Sum()")
	if err != nil || res.Text() != "tensor(0.)" || !strings.HasPrefix(out.String(), "time: ") {
		t.Errorf(":time = %q, %v, printed %q", res.Text(), err, out.String())
	}

	res, err = s.Eval(ctx, ":plot losses")
	if err != nil || len(res.Values) != 1 || len(res.Bundle[viz.MIMEPNG]) == 0 {
		t.Fatalf(":plot = %v, %v", res, err)
	}
	if _, ok := res.Values[0].(*viz.Figure); !ok {
		t.Errorf(":plot value is a %T", res.Values[0])
	}
	if _, err := s.Eval(ctx, ":plot k"); err == nil || !strings.Contains(err.Error(), "cannot plot") {
		t.Errorf(":plot of an int = %v", err)
	}
	// A figure shown as a value carries its images too.
	res, err = s.Eval(ctx, "viz.LinePlot(w.Flatten())")
	if err != nil || len(res.Bundle[viz.MIMESVG]) == 0 {
		t.Errorf("viz.LinePlot at the prompt: %v", err)
	}

	if got := mustEval(t, s, ":reset"); got != "session reset" {
		t.Errorf(":reset = %q", got)
	}
	if e := evalErr(t, s, "k"); !strings.Contains(e.Msg, "undefined: k") {
		t.Errorf("after :reset, k = %v", e)
	}
	if got := mustEval(t, s, "tl.Ones(1)"); got != "tensor([1.])" {
		t.Errorf("after :reset the packages are gone: %q", got)
	}
}

func TestGraphAndStep(t *testing.T) {
	s, out, _ := newSession(t)
	mustEval(t, s, `tl.ManualSeed(0)
type Net struct{ Linear *nn.Linear }
net := &Net{Linear: nn.NewLinear(2, 1)}
x := tl.Ones(4, 2)
loss := net.Linear.Forward(x).Pow(2).Mean()`)
	graph := mustEval(t, s, ":graph loss")
	for _, want := range []string{"MeanBackward0 []", "└─ PowBackward0 [4, 1]", "AccumulateGrad net.linear.weight [1, 2]", "AccumulateGrad net.linear.bias [1]"} {
		if !strings.Contains(graph, want) {
			t.Errorf(":graph lacks %q:\n%s", want, graph)
		}
	}
	if got := mustEval(t, s, ":graph x"); !strings.Contains(got, "does not require grad") {
		t.Errorf(":graph of a plain tensor = %q", got)
	}
	if _, err := s.Eval(context.Background(), ":graph 3"); err == nil || !strings.Contains(err.Error(), "wants a tensor") {
		t.Errorf(":graph 3 = %v", err)
	}

	// :step with scripted answers: next, a breakpoint, continue, print, quit.
	answers := []string{"n", "b AccumulateGrad", "c", "p grad_output", "p net.linear.bias", "p net.linear.weight", "q"}
	var prompts []string
	s.opts.ReadLine = func(p string) (string, error) {
		prompts = append(prompts, p)
		if len(answers) == 0 {
			return "", errors.New("no more input")
		}
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}
	out.Reset()
	res, err := s.Eval(context.Background(), ":step loss")
	if err != nil {
		t.Fatal(err)
	}
	printed := out.String()
	for _, want := range []string{"step 1/6 MeanBackward0", "breakpoint after AccumulateGrad", "[break: op AccumulateGrad]", "grad_output = tensor([[", "net.linear.bias.grad = <nil>", "net.linear.weight.grad = tensor("} {
		if !strings.Contains(printed, want) {
			t.Errorf(":step printed no %q:\n%s", want, printed)
		}
	}
	if !strings.HasPrefix(prompts[0], "step (next MeanBackward0)> ") {
		t.Errorf("first prompt %q", prompts[0])
	}
	if !strings.Contains(res.Text(), "incomplete") {
		t.Errorf(":step result %q", res.Text())
	}
	// Stepping to the end gives the gradients Backward gives.
	mustEval(t, s, "loss2 := net.Linear.Forward(x).Pow(2).Mean()\nnet.Linear.Weight.SetGrad(nil)\nnet.Linear.Bias.SetGrad(nil)")
	answers = []string{"c"}
	res, err = s.Eval(context.Background(), ":step loss2")
	if err != nil || !strings.Contains(res.Text(), "backward pass finished") {
		t.Fatalf(":step to the end: %q %v", res.Text(), err)
	}
	stepped := mustEval(t, s, "net.Linear.Weight.Grad()")
	mustEval(t, s, "net.Linear.Weight.SetGrad(nil)\nnet.Linear.Forward(x).Pow(2).Mean().Backward()")
	if direct := mustEval(t, s, "net.Linear.Weight.Grad()"); direct != stepped {
		t.Errorf("stepped grad %s, Backward's %s", stepped, direct)
	}
}

func TestLoadAndSave(t *testing.T) {
	dir := t.TempDir()
	lib := filepath.Join(dir, "lib.go")
	if err := os.WriteFile(lib, []byte(`package main

import (
	"fmt"
	"strings"
)

// Scale multiplies a tensor.
func Scale(t *tl.Tensor, k float64) *tl.Tensor { return t.MulScalar(k) }

func main() {
	fmt.Println(strings.ToUpper("loaded"))
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, out, _ := newSession(t)
	mustEval(t, s, ":load "+lib)
	if out.String() != "LOADED\n" {
		t.Errorf(":load ran main with output %q", out.String())
	}
	out.Reset()
	if got := mustEval(t, s, "Scale(tl.Ones(2), 3)"); got != "tensor([3., 3.])" {
		t.Errorf("Scale = %q", got)
	}
	if out.String() != "" {
		t.Errorf("main ran again: %q", out.String())
	}
	bad := filepath.Join(dir, "bad.go")
	os.WriteFile(bad, []byte("package main\n\nfunc f() {\n\treturn undefinedThing\n}\n"), 0o644)
	if e := evalErr(t, s, ":load "+bad); e.Line != 4 {
		t.Errorf(":load error at line %d (%v), want the file's line 4", e.Line, e)
	}

	mustEval(t, s, `tl.ManualSeed(3)
type Acc struct{ N int }
func (a *Acc) Add(k int) { a.N += k }
acc := &Acc{}
for i := 1; i <= 4; i++ { acc.Add(i) }
acc.N
v := tl.Randn(3)`)
	mustEval(t, s, "v := v.MulScalar(2)")
	mustEval(t, s, "v.Sum().Item() > -100")
	_, _ = s.Eval(context.Background(), "broken(")     // errors are not saved
	_, _ = s.Eval(context.Background(), "nothere + 1") // nor compile errors
	prog := filepath.Join(dir, "prog", "main.go")
	os.MkdirAll(filepath.Dir(prog), 0o755)
	if got := mustEval(t, s, ":save "+prog); !strings.Contains(got, "saved") {
		t.Fatalf(":save = %q", got)
	}
	src, _ := os.ReadFile(prog)
	for _, want := range []string{"package main", `tl "github.com/gotensor/gt/tensorlib"`, "func Scale(", "func main_() {", "func main() {", "\tmain_()", "_ = acc.N", "fmt.Println(v.Sum().Item() > -100)", "v = v.MulScalar(2)"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("saved program lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(string(src), "broken") || strings.Contains(string(src), "nothere") {
		t.Errorf("saved program keeps failed inputs:\n%s", src)
	}
	if testing.Short() {
		return
	}
	// The program runs and prints what the session showed.
	root, err := symgen.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	run := exec.Command("go", "run", prog)
	run.Dir = root
	outb, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("go run of the saved program: %v\n%s\n%s", err, outb, src)
	}
	if got := string(outb); got != "LOADED\ntensor([3., 3.])\ntrue\n" {
		t.Errorf("saved program printed %q", got)
	}
}
