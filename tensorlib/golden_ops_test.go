package tensorlib_test

import (
	"math"
	"sort"
	"strconv"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Golden forward/backward tests against torch 1.13: every case of
// testdata/ops.json (see tools/golden/ops.py) is rebuilt here by op name,
// run forward and backward, and compared on values, shapes, dtypes, grad_fn
// names and input gradients.

// goldenOp runs one op on the case's inputs; multi-output ops (Split,
// MaxDim, …) return every output.
type goldenOp func(x []*tl.Tensor, p goldenParams) []*tl.Tensor

func unaryG(f func(x *tl.Tensor, p goldenParams) *tl.Tensor) goldenOp {
	return func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return []*tl.Tensor{f(x[0], p)} }
}

func binaryG(f func(a, b *tl.Tensor) *tl.Tensor) goldenOp {
	return func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return []*tl.Tensor{f(x[0], x[1])} }
}

func scalarG(f func(x *tl.Tensor, s float64) *tl.Tensor) goldenOp {
	return unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return f(x, p.scalar("s", p.S)) })
}

func plainG(f func(x *tl.Tensor) *tl.Tensor) goldenOp {
	return unaryG(func(x *tl.Tensor, _ goldenParams) *tl.Tensor { return f(x) })
}

func pairG(f func(x *tl.Tensor, p goldenParams) (*tl.Tensor, *tl.Tensor)) goldenOp {
	return func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		a, b := f(x[0], p)
		return []*tl.Tensor{a, b}
	}
}

// goldenOps maps each op name of tools/golden/ops.py to tensorlib.
var goldenOps = map[string]goldenOp{
	"add":        binaryG((*tl.Tensor).Add),
	"sub":        binaryG((*tl.Tensor).Sub),
	"mul":        binaryG((*tl.Tensor).Mul),
	"div":        binaryG((*tl.Tensor).Div),
	"pow_tensor": binaryG((*tl.Tensor).PowTensor),
	"add_scalar": scalarG((*tl.Tensor).AddScalar),
	"sub_scalar": scalarG((*tl.Tensor).SubScalar),
	"mul_scalar": scalarG((*tl.Tensor).MulScalar),
	"div_scalar": scalarG((*tl.Tensor).DivScalar),
	"pow":        scalarG((*tl.Tensor).Pow),

	"neg":      plainG((*tl.Tensor).Neg),
	"abs":      plainG((*tl.Tensor).Abs),
	"sign":     plainG((*tl.Tensor).Sign),
	"exp":      plainG((*tl.Tensor).Exp),
	"log":      plainG((*tl.Tensor).Log),
	"sqrt":     plainG((*tl.Tensor).Sqrt),
	"rsqrt":    plainG((*tl.Tensor).Rsqrt),
	"sin":      plainG((*tl.Tensor).Sin),
	"cos":      plainG((*tl.Tensor).Cos),
	"tanh":     plainG((*tl.Tensor).Tanh),
	"sigmoid":  plainG((*tl.Tensor).Sigmoid),
	"relu":     plainG((*tl.Tensor).ReLU),
	"gelu":     plainG((*tl.Tensor).GELU),
	"isnan":    plainG((*tl.Tensor).IsNaN),
	"isfinite": plainG((*tl.Tensor).IsFinite),
	"clamp": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.Clamp(p.bound(p.Lo, math.Inf(-1)), p.bound(p.Hi, math.Inf(1)))
	}),

	"where": func(x []*tl.Tensor, _ goldenParams) []*tl.Tensor { return []*tl.Tensor{tl.Where(x[0], x[1], x[2])} },
	"masked_fill": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		return []*tl.Tensor{x[0].MaskedFill(x[1], p.scalar("value", p.Value))}
	},

	"eq":          binaryG((*tl.Tensor).Eq),
	"ne":          binaryG((*tl.Tensor).Ne),
	"lt":          binaryG((*tl.Tensor).Lt),
	"le":          binaryG((*tl.Tensor).Le),
	"gt":          binaryG((*tl.Tensor).Gt),
	"ge":          binaryG((*tl.Tensor).Ge),
	"eq_scalar":   scalarG((*tl.Tensor).EqScalar),
	"ne_scalar":   scalarG((*tl.Tensor).NeScalar),
	"lt_scalar":   scalarG((*tl.Tensor).LtScalar),
	"le_scalar":   scalarG((*tl.Tensor).LeScalar),
	"gt_scalar":   scalarG((*tl.Tensor).GtScalar),
	"ge_scalar":   scalarG((*tl.Tensor).GeScalar),
	"logical_and": binaryG((*tl.Tensor).LogicalAnd),
	"logical_or":  binaryG((*tl.Tensor).LogicalOr),
	"logical_xor": binaryG((*tl.Tensor).LogicalXor),
	"logical_not": plainG((*tl.Tensor).LogicalNot),

	"sum":       plainG((*tl.Tensor).Sum),
	"sum_dim":   unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.SumDim(p.Dim, p.Keepdim) }),
	"sum_dims":  unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.SumDims(p.Dims, p.Keepdim) }),
	"mean":      plainG((*tl.Tensor).Mean),
	"mean_dim":  unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.MeanDim(p.Dim, p.Keepdim) }),
	"mean_dims": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.MeanDims(p.Dims, p.Keepdim) }),
	"prod":      plainG((*tl.Tensor).Prod),
	"prod_dim":  unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.ProdDim(p.Dim, p.Keepdim) }),
	"max":       plainG((*tl.Tensor).Max),
	"min":       plainG((*tl.Tensor).Min),
	"max_dim": pairG(func(x *tl.Tensor, p goldenParams) (*tl.Tensor, *tl.Tensor) {
		return x.MaxDim(p.Dim, p.Keepdim)
	}),
	"min_dim": pairG(func(x *tl.Tensor, p goldenParams) (*tl.Tensor, *tl.Tensor) {
		return x.MinDim(p.Dim, p.Keepdim)
	}),
	"argmax":     plainG((*tl.Tensor).Argmax),
	"argmin":     plainG((*tl.Tensor).Argmin),
	"argmax_dim": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.ArgmaxDim(p.Dim, p.Keepdim) }),
	"argmin_dim": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.ArgminDim(p.Dim, p.Keepdim) }),
	"var":        plainG((*tl.Tensor).Var),
	"var_dim": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.VarDim(p.Dim, p.Unbiased, p.Keepdim)
	}),
	"var_dims": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.VarDims(p.Dims, p.Unbiased, p.Keepdim)
	}),
	"std": plainG((*tl.Tensor).Std),
	"std_dim": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.StdDim(p.Dim, p.Unbiased, p.Keepdim)
	}),
	"std_dims": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.StdDims(p.Dims, p.Unbiased, p.Keepdim)
	}),
	"logsumexp":   unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.LogSumExp(p.Dim, p.Keepdim) }),
	"softmax":     unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Softmax(p.Dim) }),
	"log_softmax": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.LogSoftmax(p.Dim) }),

	"matmul": binaryG((*tl.Tensor).MatMul),

	"cat":   func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return []*tl.Tensor{tl.Cat(x, p.Dim)} },
	"stack": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return []*tl.Tensor{tl.Stack(x, p.Dim)} },
	"split": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return x[0].Split(p.Size, p.Dim) },
	"split_sizes": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		return x[0].SplitSizes(p.Sizes, p.Dim)
	},
	"chunk": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return x[0].Chunk(p.N, p.Dim) },

	"index_select": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		return []*tl.Tensor{x[0].IndexSelect(p.Dim, x[1])}
	},
	"gather": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor { return []*tl.Tensor{x[0].Gather(p.Dim, x[1])} },
	"scatter": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		return []*tl.Tensor{x[0].Scatter(p.Dim, x[1], x[2])}
	},
	"scatter_add": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		return []*tl.Tensor{x[0].ScatterAdd(p.Dim, x[1], x[2])}
	},

	"reshape":   unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Reshape(p.Shape...) }),
	"view":      unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.View(p.Shape...) }),
	"transpose": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Transpose(p.Dim0, p.Dim1) }),
	"t":         plainG((*tl.Tensor).T),
	"permute":   unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Permute(p.Dims...) }),
	"narrow": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.Narrow(p.Dim, p.Start, p.Length)
	}),
	"slice": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.Slice(p.Dim, p.Start, p.end(), p.Step)
	}),
	"select":     unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Select(p.Dim, p.Index) }),
	"expand":     unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Expand(p.Shape...) }),
	"squeeze":    unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Squeeze(p.Dims...) }),
	"unsqueeze":  unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Unsqueeze(p.Dim) }),
	"flatten":    unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.Flatten(p.Dims...) }),
	"clone":      plainG((*tl.Tensor).Clone),
	"contiguous": plainG((*tl.Tensor).Contiguous),
	"to":         unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor { return x.To(goldenDType(p.DType)) }),
	"expand_as":  binaryG((*tl.Tensor).ExpandAs),

	// In-place ops, on a clone of the first input.
	"add_inplace": binaryG(func(a, b *tl.Tensor) *tl.Tensor { return a.Clone().AddInPlace(b) }),
	"sub_inplace": binaryG(func(a, b *tl.Tensor) *tl.Tensor { return a.Clone().SubInPlace(b) }),
	"mul_inplace": binaryG(func(a, b *tl.Tensor) *tl.Tensor { return a.Clone().MulInPlace(b) }),
	"div_inplace": binaryG(func(a, b *tl.Tensor) *tl.Tensor { return a.Clone().DivInPlace(b) }),
	"add_scalar_inplace": scalarG(func(x *tl.Tensor, s float64) *tl.Tensor {
		return x.Clone().AddScalarInPlace(s)
	}),
	"mul_scalar_inplace": scalarG(func(x *tl.Tensor, s float64) *tl.Tensor {
		return x.Clone().MulScalarInPlace(s)
	}),
	"clamp_inplace": unaryG(func(x *tl.Tensor, p goldenParams) *tl.Tensor {
		return x.Clone().ClampInPlace(p.bound(p.Lo, math.Inf(-1)), p.bound(p.Hi, math.Inf(1)))
	}),
	"relu_inplace": plainG(func(x *tl.Tensor) *tl.Tensor { return x.Clone().ReLUInPlace() }),
	"masked_fill_inplace": func(x []*tl.Tensor, p goldenParams) []*tl.Tensor {
		return []*tl.Tensor{x[0].Clone().MaskedFillInPlace(x[1], p.scalar("value", p.Value))}
	},
	"copy_inplace": binaryG(func(a, b *tl.Tensor) *tl.Tensor { return a.Clone().CopyInPlace(b) }),
	"fill_inplace": scalarG(func(x *tl.Tensor, s float64) *tl.Tensor { return x.Clone().FillInPlace(s) }),
	"zero_inplace": plainG(func(x *tl.Tensor) *tl.Tensor { return x.Clone().ZeroInPlace() }),
}

func TestGoldenOps(t *testing.T) {
	for _, c := range loadGoldenCases(t) {
		t.Run(c.Name, func(t *testing.T) { runGoldenCase(t, c) })
	}
}

// TestGoldenOpsAllCovered fails when an op of the Go table has no golden case,
// so the table and tools/golden/ops.py stay in step both ways (a case whose op
// is missing from the table fails in TestGoldenOps).
func TestGoldenOpsAllCovered(t *testing.T) {
	used := map[string]bool{}
	for _, c := range loadGoldenCases(t) {
		used[c.Op] = true
		for _, in := range c.Inputs {
			for _, s := range in.View {
				used[s.Op] = true
			}
		}
	}
	var missing []string
	for name := range goldenOps {
		if !used[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("ops with no golden case in testdata/ops.json: %v", missing)
	}
}

func lookupGoldenOp(t *testing.T, name string) goldenOp {
	t.Helper()
	f, ok := goldenOps[name]
	if !ok {
		t.Fatalf("op %q has no entry in goldenOps (golden_ops_test.go)", name)
	}
	return f
}

func runGoldenCase(t *testing.T, c goldenCase) {
	op := lookupGoldenOp(t, c.Op)
	if len(c.Grads) != len(c.Inputs) {
		t.Fatalf("malformed case: %d inputs, %d grads", len(c.Inputs), len(c.Grads))
	}

	// Inputs: fresh leaves, then the view steps that make them non-contiguous.
	leaves := make([]*tl.Tensor, len(c.Inputs))
	xs := make([]*tl.Tensor, len(c.Inputs))
	for i, in := range c.Inputs {
		leaf := in.build()
		if in.RequiresGrad {
			leaf.SetRequiresGrad(true)
		}
		x := leaf
		for _, s := range in.View {
			step := lookupGoldenOp(t, s.Op)
			if err := goldenCall(func() { x = step([]*tl.Tensor{x}, s.Params)[0] }); err != nil {
				t.Fatalf("input %d: view %s: %v", i, s.Op, err)
			}
		}
		leaves[i], xs[i] = leaf, x
	}

	var outs []*tl.Tensor
	if err := goldenCall(func() { outs = op(xs, c.Params) }); err != nil {
		t.Fatalf("forward: %v", err)
	}
	if len(outs) != len(c.Outputs) {
		t.Fatalf("%d outputs, torch %d", len(outs), len(c.Outputs))
	}

	// Forward: values, shapes, dtypes, grad_fn names; build the loss.
	var loss *tl.Tensor
	for i, want := range c.Outputs {
		got := outs[i]
		what := "output"
		if len(outs) > 1 {
			what = "output " + strconv.Itoa(i)
		}
		checkGoldenTensor(t, what, got, want.goldenTensor)
		gotFn, wantFn := "", ""
		if got.GradFn() != nil {
			gotFn = got.GradFn().Name()
		}
		if want.GradFn != nil {
			wantFn = *want.GradFn
		}
		if gotFn != wantFn {
			t.Errorf("%s: grad_fn %q, torch %q", what, gotFn, wantFn)
		}
		if got.RequiresGrad() != (want.W != nil) {
			t.Errorf("%s: RequiresGrad() = %v, torch %v", what, got.RequiresGrad(), want.W != nil)
			continue
		}
		if want.W == nil {
			continue
		}
		w := goldenTensor{Values: want.W, Shape: want.Shape, DType: want.DType}.build()
		var term *tl.Tensor
		if err := goldenCall(func() { term = got.Mul(w).Sum() }); err != nil {
			t.Fatalf("%s: loss: %v", what, err)
		}
		if loss == nil {
			loss = term
		} else {
			loss = loss.Add(term)
		}
	}
	if loss == nil {
		for i, g := range c.Grads {
			if g != nil {
				t.Errorf("input %d: torch has a gradient but no output requires grad here", i)
			}
		}
		return
	}

	// Backward of sum((out * w).sum()): the leaves' gradients.
	if err := goldenCall(loss.Backward); err != nil {
		t.Fatalf("backward: %v", err)
	}
	for i, want := range c.Grads {
		got := leaves[i].Grad()
		what := "grad of input " + strconv.Itoa(i)
		switch {
		case want == nil && got != nil:
			t.Errorf("%s: got a gradient, torch has none", what)
		case want != nil:
			checkGoldenTensor(t, what, got, *want)
		}
	}
}
