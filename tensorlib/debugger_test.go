package tensorlib_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// The step-through backward debugger: running it to the end must leave the
// very bits Backward leaves, and both must agree with PyTorch's gradients.

// grBits returns t's float32 bit patterns.
func grBits(t *tl.Tensor) []uint32 {
	f := t.Float32s()
	out := make([]uint32, len(f))
	for i, v := range f {
		out[i] = math.Float32bits(v)
	}
	return out
}

func TestDebuggerMatchesBackward(t *testing.T) {
	golden := grLoad(t)
	for _, c := range golden.Cases {
		for _, mode := range []string{"step", "continue", "breakpoints"} {
			t.Run(c.Name+"/"+mode, func(t *testing.T) {
				plain, plainLeaves := grBuild(t, c)
				plain.Backward()

				loss, leaves := grBuild(t, c)
				d := tl.DebugBackward(loss)
				nodes := len(d.Graph().Nodes)
				steps := 0
				switch mode {
				case "step":
					for s := d.Step(); s != nil; s = d.Step() {
						steps++
						grCheckStep(t, s)
					}
				case "continue":
					if s := d.Continue(); s != nil {
						t.Fatalf("Continue without breakpoints stopped at %s", s.Node.Name())
					}
					steps = len(d.Steps())
				case "breakpoints":
					d.BreakOnOp("AccumulateGrad")
					for s := d.Continue(); s != nil; s = d.Continue() {
						if s.Leaf == nil || s.Break != "op AccumulateGrad" {
							t.Errorf("stopped at %s (%q)", s.Node.Name(), s.Break)
						}
						// The gradient arriving at a leaf's node is what
						// accumulates into it (its first gradient here).
						if fmt.Sprint(grBits(s.GradOutput)) != fmt.Sprint(grBits(s.Leaf.Grad())) {
							t.Errorf("%s: grad_output differs from leaf.grad", s.Leaf.Name())
						}
					}
					steps = len(d.Steps())
				}
				if !d.Done() || d.Step() != nil || d.Next() != nil {
					t.Error("the debugger is not done at the end")
				}
				if steps != nodes {
					t.Errorf("%d steps for %d nodes", steps, nodes)
				}
				for name, want := range c.Grads {
					got, ref := leaves[name].Grad(), plainLeaves[name].Grad()
					if got == nil {
						t.Fatalf("%s has no gradient", name)
					}
					if fmt.Sprint(grBits(got)) != fmt.Sprint(grBits(ref)) {
						t.Errorf("%s: debugger gradient %v differs from Backward's %v", name, got.Float32s(), ref.Float32s())
					}
					w := want.floats(t)
					for i, v := range got.Float32s() {
						if math.Abs(float64(v)-w[i]) > 1e-5*math.Abs(w[i])+1e-6 {
							t.Errorf("%s[%d] = %v, torch %v", name, i, v, w[i])
						}
					}
				}
			})
		}
	}
}

// grCheckStep checks a step's report against its node.
func grCheckStep(t *testing.T, s *tl.DebugStep) {
	t.Helper()
	n := s.Node
	if s.GradOutput == nil || fmt.Sprint(s.GradOutput.Shape()) != fmt.Sprint(n.OutputShape()) {
		t.Errorf("%s: grad_output %v, node output %v", n.Name(), s.GradOutput, n.OutputShape())
	}
	if st := s.GradOutputStats; st.Numel != s.GradOutput.Numel() || !st.Finite() {
		t.Errorf("%s: grad_output stats %v", n.Name(), st)
	}
	if s.Leaf != nil {
		if len(s.GradInputs) != 0 || s.Tensor("leaf") != s.Leaf || s.Tensor("leaf.grad") != s.Leaf.Grad() {
			t.Errorf("%s: leaf step reports %d input grads", n.Name(), len(s.GradInputs))
		}
		return
	}
	if len(s.GradInputs) != len(n.Next()) || len(s.Inputs) != len(n.Next()) {
		t.Fatalf("%s: %d input grads for %d inputs", n.Name(), len(s.GradInputs), len(n.Next()))
	}
	for i, next := range s.Inputs {
		g := s.GradInputs[i]
		if (next == nil) != (g == nil) {
			t.Errorf("%s input %d: node %v, grad %v", n.Name(), i, next, g)
			continue
		}
		if g == nil {
			continue
		}
		if fmt.Sprint(g.Shape()) != fmt.Sprint(n.InputShapes()[i]) {
			t.Errorf("%s input %d: grad shape %v, input shape %v", n.Name(), i, g.Shape(), n.InputShapes()[i])
		}
		if s.Tensor(fmt.Sprintf("grad_input[%d]", i)) != g {
			t.Errorf("%s: Tensor(grad_input[%d]) is not the input's gradient", n.Name(), i)
		}
		st := s.GradInputsStats[i]
		f := g.Float64s()
		norm := 0.0
		for _, v := range f {
			norm += v * v
		}
		if st.Numel != len(f) || math.Abs(st.Norm-math.Sqrt(norm)) > 1e-9*(1+st.Norm) {
			t.Errorf("%s input %d: stats %v, norm %v", n.Name(), i, st, math.Sqrt(norm))
		}
	}
	if s.Tensor("grad_output") != s.GradOutput || s.Tensor("nonsense") != nil {
		t.Errorf("%s: Tensor lookup by name is wrong", n.Name())
	}
}

// grWalkthrough builds the Linear → MSE walkthrough graph.
func grWalkthrough() (loss, w, b *tl.Tensor) {
	x := tl.FromFloat32s([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3)
	y := tl.FromFloat32s([]float32{1, 0, -1, 2}, 4, 1)
	w = tl.FromFloat32s([]float32{0.1, -0.2, 0.3}, 1, 3).SetRequiresGrad(true).SetName("linear.weight")
	b = tl.FromFloat32s([]float32{0.5}, 1).SetRequiresGrad(true).SetName("linear.bias")
	return x.MatMul(w.T()).Add(b).Sub(y).Pow(2).Mean(), w, b
}

func TestDebuggerBreakpoints(t *testing.T) {
	loss, w, b := grWalkthrough()
	d := tl.DebugBackward(loss)
	if d.Current() != nil || d.Next() != loss.GradFn() || d.PendingGrad().Item() != 1 {
		t.Fatal("before the first step: wrong current/next/pending")
	}
	d.BreakOnOp("Mm") // the forward name matches MmBackward0
	d.BreakOnParam(w)
	s := d.Continue()
	if s == nil || s.Node.Name() != "MmBackward0" || s.Break != "op MmBackward0" || d.Current() != s {
		t.Fatalf("stopped at %v", s)
	}
	if s.Inputs[0] != nil || s.GradInputs[0] != nil || s.GradInputs[1] == nil {
		t.Errorf("MmBackward0 sends a gradient only to w.T(): %v", s.GradInputs)
	}
	if len(s.Saved) != 1 || s.Tensor("saved[0]") == nil {
		t.Errorf("MmBackward0 saved %d tensors", len(s.Saved))
	}
	s = d.Continue()
	if s == nil || s.Leaf != w || s.Break != "param linear.weight" {
		t.Fatalf("want a stop at linear.weight, got %v", s)
	}
	if b.Grad() == nil || w.Grad() == nil {
		t.Error("both leaves should have their gradients by now")
	}
	text := s.String()
	for _, frag := range []string{"AccumulateGrad (linear.weight)", "[break: param linear.weight]", "grad_output", "leaf.grad"} {
		if !strings.Contains(text, frag) {
			t.Errorf("step text lacks %q:\n%s", frag, text)
		}
	}
	if s := d.Continue(); s != nil || !d.Done() {
		t.Errorf("expected the end, got %v", s)
	}
	if len(d.Steps()) != 8 || d.Steps()[0].Index != 0 || d.Steps()[7].Total != 8 {
		t.Errorf("%d steps", len(d.Steps()))
	}

	loss, _, _ = grWalkthrough()
	d = tl.DebugBackward(loss)
	if e := agCatch(t, func() { d.BreakOnOp("ConvolutionBackward0") }); e == nil || e.Op != "BreakOnOp" || !strings.Contains(e.Msg, "MeanBackward0") {
		t.Errorf("unknown op breakpoint: %v", e)
	}
	if e := agCatch(t, func() { d.BreakOnParam(tl.Ones(1)) }); e == nil || e.Op != "BreakOnParam" {
		t.Errorf("foreign param breakpoint: %v", e)
	}
	// Breaking on a non-leaf tensor stops after its grad_fn.
	x := tl.FromFloat32s([]float32{1, 2}, 2).SetRequiresGrad(true)
	h := x.Exp()
	d = tl.DebugBackward(h.Sum())
	d.BreakOnParam(h)
	if s := d.Continue(); s == nil || s.Node != h.GradFn() {
		t.Errorf("break on a non-leaf: %v", s)
	}
	d.ClearBreakpoints()
	if s := d.Continue(); s != nil {
		t.Errorf("cleared breakpoints still stop at %v", s)
	}
}

func TestDebuggerNonFinite(t *testing.T) {
	// sqrt(x)·0 at x = 0: the forward pass is finite, SqrtBackward0 makes 0/0.
	x := tl.FromFloat32s([]float32{4, 0}, 2).SetRequiresGrad(true)
	loss := x.Sqrt().MulScalar(0).Sum()
	d := tl.DebugBackward(loss)
	d.BreakOnNonFinite()
	s := d.Continue()
	if s == nil || s.Node.Name() != "SqrtBackward0" || s.Break != "non-finite gradient" || !s.NonFinite() {
		t.Fatalf("stopped at %v", s)
	}
	if st := s.GradInputsStats[0]; st.NaN != 1 || st.Inf() != 0 || st.Min != 0 || st.Max != 0 {
		t.Errorf("stats %+v, want one NaN and a finite 0", st)
	}
	if !strings.Contains(s.String(), "nan 1") {
		t.Errorf("step text does not show the NaN count:\n%s", s)
	}
	// The next step receives the NaN: it stops again.
	if s := d.Continue(); s == nil || s.Leaf != x {
		t.Errorf("want a stop at the leaf, got %v", s)
	}
	d.Run()
	if !d.Done() {
		t.Error("Run did not finish")
	}
}

func TestDebuggerRetainGraph(t *testing.T) {
	loss, w, _ := grWalkthrough()
	d := tl.DebugBackwardWith(loss, tl.BackwardOptions{RetainGraph: true})
	d.Run()
	first := w.Grad().Float32s()
	w.SetGrad(nil)
	loss.Backward() // the graph is still there
	if fmt.Sprint(w.Grad().Float32s()) != fmt.Sprint(first) {
		t.Errorf("second pass %v, first %v", w.Grad().Float32s(), first)
	}
}

func ExampleDebugBackward() {
	x := tl.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2)
	w := tl.FromFloat32s([]float32{0.5, -1}, 1, 2).SetRequiresGrad(true).SetName("w")
	loss := x.MatMul(w.T()).Pow(2).Mean()
	dbg := tl.DebugBackward(loss)
	dbg.BreakOnOp("MmBackward0")
	s := dbg.Continue()
	fmt.Println(s.Node.Name(), s.Break)
	fmt.Println("gradient arriving:", s.GradOutput.Float32s())
	fmt.Println("gradient sent to w.T():", s.GradInputs[1].Float32s())
	dbg.Continue() // to the end
	fmt.Println("w.grad:", w.Grad().Float32s())
	// Output:
	// MmBackward0 op MmBackward0
	// gradient arriving: [-1.5 -2.5]
	// gradient sent to w.T(): [-9 -13]
	// w.grad: [-9 -13]
}
