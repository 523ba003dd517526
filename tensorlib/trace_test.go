package tensorlib_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Forward traces, and the cost of observing ops and recording sites.

func grOps(ops []tl.TraceOp) []string {
	var out []string
	for _, op := range ops {
		out = append(out, op.Op)
	}
	return out
}

func TestTraceWalkthrough(t *testing.T) {
	var loss *tl.Tensor
	r := tl.Trace(func() {
		loss, _, _ = grWalkthrough()
		loss.Backward()
	})
	fwd := r.Forward()
	if got, want := grOps(fwd), []string{"T", "Mm", "Add", "Sub", "Pow", "Mean"}; !slices.Equal(got, want) {
		t.Fatalf("forward ops %v, want %v", got, want)
	}
	shapes := [][]int{{3, 1}, {4, 1}, {4, 1}, {4, 1}, {4, 1}, {}}
	for i, op := range fwd {
		if !slices.Equal(op.Shape, shapes[i]) || op.DType != tl.Float32 || !op.Recorded || op.Phase != "forward" {
			t.Errorf("op %d %s: shape %v dtype %v recorded %v", i, op.Op, op.Shape, op.DType, op.Recorded)
		}
		numel := 1
		for _, d := range shapes[i] {
			numel *= d
		}
		if op.Index != i || op.Duration <= 0 || op.Stats.Numel != numel {
			t.Errorf("op %d: index %d duration %v stats %v", i, op.Index, op.Duration, op.Stats)
		}
	}
	if !slices.Equal(fwd[1].InputShapes[0], []int{4, 3}) || !slices.Equal(fwd[1].InputShapes[1], []int{3, 1}) {
		t.Errorf("Mm input shapes %v", fwd[1].InputShapes)
	}
	if m := fwd[5].Stats.Mean; math.Abs(m-loss.Item()) > 1e-6 {
		t.Errorf("Mean's output statistics %v, loss %v", fwd[5].Stats, loss.Item())
	}
	var order []string
	for _, n := range tl.GraphOf(loss).Nodes {
		order = append(order, n.Name)
	}
	if got := grOps(r.Backward()); !slices.Equal(got, order) {
		t.Errorf("backward nodes %v, want %v", got, order)
	}
	if len(r.Ops) != 14 || r.Total <= 0 {
		t.Errorf("%d ops in %v", len(r.Ops), r.Total)
	}
	table := r.String()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 16 || !strings.HasPrefix(lines[0], "#  phase") || !strings.Contains(lines[2], "Mm") || !strings.HasPrefix(lines[15], "14 ops in ") {
		t.Errorf("table:\n%s", table)
	}
}

func TestTraceNoGradAndInternalOps(t *testing.T) {
	x := tl.FromFloat32s([]float32{1, -2, 3, -4, 5, -6}, 2, 3).SetRequiresGrad(true)
	c := tl.Zeros(2, 3)
	var y *tl.Tensor
	r := tl.Trace(func() {
		tl.NoGrad(func() { y = x.Exp().SumDims([]int{0, 1}, false) })
		c.AddInPlace(x.Detach())                      // in place: one Add
		_ = x.MaskedFill(x.LtScalar(0), 0)            // MaskedFill calls Where internally
		c.IndexPut(tl.Ones(3), 0)                     // not differentiable, but allowed
		_ = x.MeanDims([]int{1}, true).Softmax(0).T() // several public ops
	})
	want := []string{"Exp", "Sum", "Add", "MaskedFill", "Mean", "Softmax", "T"}
	if got := grOps(r.Ops); !slices.Equal(got, want) {
		t.Fatalf("ops %v, want %v", got, want)
	}
	if r.Ops[0].Recorded || r.Ops[1].Recorded || !r.Ops[3].Recorded {
		t.Error("Recorded is wrong")
	}
	if y.GradFn() != nil || y.RequiresGrad() || c.RequiresGrad() {
		t.Error("tracing must not record graphs under NoGrad or for constants")
	}
	if got := c.Float32s(); got[0] != 1 || got[3] != -4 {
		t.Errorf("c = %v", got)
	}
	// Nothing is observed after the trace.
	inner := tl.Trace(func() {
		outer := tl.Trace(func() { x.Exp() })
		if len(outer.Ops) != 1 {
			t.Errorf("nested trace: %d ops", len(outer.Ops))
		}
		x.Neg()
	})
	if got := grOps(inner.Ops); !slices.Equal(got, []string{"Exp", "Neg"}) {
		t.Errorf("outer trace %v", got)
	}
	func() {
		defer func() { recover() }()
		tl.Trace(func() { x.MatMul(x) })
	}()
	if d := tl.Zeros(2).Exp(); d.GradFn() != nil {
		t.Error("a constant got a node after a panicking trace")
	}
	if r := tl.Trace(func() {}); len(r.Ops) != 0 {
		t.Errorf("empty trace has %d ops", len(r.Ops))
	}
}

func TestStatsOf(t *testing.T) {
	inf := float32(math.Inf(1))
	s := tl.StatsOf(tl.FromFloat32s([]float32{3, -4, float32(math.NaN()), inf, -inf, 0}, 2, 3))
	if s.Min != -4 || s.Max != 3 || s.Mean != -1.0/3 || s.Norm != 5 || s.NaN != 1 || s.PosInf != 1 || s.NegInf != 1 || s.Numel != 6 {
		t.Errorf("%+v", s)
	}
	if got := s.String(); got != "[2, 3] float32 min -4 max 3 mean -0.3333 norm 5 nan 1 inf 2" {
		t.Errorf("String = %q", got)
	}
	if s := tl.StatsOf(tl.FromInts([]int{1, 2}, 2)); s.Mean != 1.5 || !s.Finite() {
		t.Errorf("int64 stats %+v", s)
	}
	if s := tl.StatsOf(tl.Zeros(0)); !math.IsNaN(s.Min) || s.String() != "[0] float32" {
		t.Errorf("empty stats %+v %q", s, s)
	}
	// A strided view.
	v := tl.FromFloat64s([]float64{1, 2, 3, 4}, 2, 2).T().Select(0, 1)
	if s := tl.StatsOf(v); s.Min != 2 || s.Max != 4 {
		t.Errorf("view stats %+v", s)
	}
}

func ExampleTrace() {
	x := tl.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2)
	w := tl.Ones(2, 1).SetRequiresGrad(true)
	r := tl.Trace(func() {
		x.MatMul(w).ReLU().Sum().Backward()
	})
	for _, op := range r.Ops {
		fmt.Println(op.Phase, op.Op, op.Shape, op.Stats.Max)
	}
	// Output:
	// forward Mm [2 1] 7
	// forward Relu [2 1] 7
	// forward Sum [] 10
	// backward SumBackward0 [] 1
	// backward ReluBackward0 [2 1] 1
	// backward MmBackward0 [2 1] 1
	// backward AccumulateGrad [2 1] 6
}

// BenchmarkRecord measures one small differentiable op (a 4-element Mul that
// records a node) with creation sites off (the default), with SetDebug(true),
// inside a Trace, and with anomaly mode on; and the same op on constants.
func BenchmarkRecord(b *testing.B) {
	x := tl.FromFloat32s([]float32{1, 2, 3, 4}, 4).SetRequiresGrad(true)
	c := tl.FromFloat32s([]float32{1, 2, 3, 4}, 4)
	for _, mode := range []string{"plain", "debug", "trace", "anomaly"} {
		for _, in := range []struct {
			name string
			t    *tl.Tensor
		}{{"grad", x}, {"const", c}} {
			b.Run(mode+"/"+in.name, func(b *testing.B) {
				switch mode {
				case "debug":
					tl.SetDebug(true)
					defer tl.SetDebug(false)
				case "anomaly":
					tl.DetectAnomaly(true)
					defer tl.DetectAnomaly(false)
				}
				b.ReportAllocs()
				run := func() {
					for b.Loop() {
						in.t.Mul(in.t)
					}
				}
				if mode == "trace" {
					tl.Trace(run)
				} else {
					run()
				}
			})
		}
	}
}

// BenchmarkSite measures turning a recorded stack into file:line.
func BenchmarkSite(b *testing.B) {
	tl.SetDebug(true)
	n := tl.Ones(1).SetRequiresGrad(true).Exp().GradFn()
	tl.SetDebug(false)
	for b.Loop() {
		_ = n.Site()
	}
}
