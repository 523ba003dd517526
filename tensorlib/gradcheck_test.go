package tensorlib

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// A finite-difference gradient checker in the manner of
// torch.autograd.gradcheck: in float64, the analytic vector-Jacobian product
// computed by Backward for a random projection v of the output is compared
// with central differences of <v, f(x)> for every input element.

const (
	gcEps  = 1e-6
	gcAtol = 1e-6
	gcRtol = 1e-5
)

// gcFunc maps float64 leaves to one float64 output. Constants (index tensors,
// masks, weights that need no gradient) are captured by the closure.
type gcFunc func(x []*Tensor) *Tensor

// gcLayout is how the checker lays out its leaves in storage.
type gcLayout int

const (
	gcContiguous gcLayout = iota // row-major, offset 0
	gcStrided                    // dimensions stored in reverse order, or every other element at an offset for 1-D
)

func (l gcLayout) String() string {
	if l == gcStrided {
		return "strided"
	}
	return "contiguous"
}

// gcLeaf builds a float64 tensor holding data (row-major) with shape, laid
// out as l. The result is a leaf (no grad_fn, requires_grad off).
func gcLeaf(data []float64, shape []int, l gcLayout) *Tensor {
	var t *Tensor
	NoGrad(func() {
		t = gcFrom(data, shape)
		if l != gcStrided {
			return
		}
		switch len(shape) {
		case 0:
		case 1:
			// Interleave with junk so the view has stride 2 and offset 1.
			buf := make([]float64, 2*len(data)+1)
			for i := range buf {
				buf[i] = math.NaN()
			}
			for i, v := range data {
				buf[1+2*i] = v
			}
			t = FromFloat64s(buf).Slice(0, 1, End, 2)
		default:
			rev := make([]int, len(shape))
			for i := range rev {
				rev[i] = len(shape) - 1 - i
			}
			t = t.Permute(rev...).Contiguous().Permute(rev...)
		}
		t = t.Detach()
	})
	return t
}

// gcFrom returns a float64 tensor holding data with shape (0-dim when shape
// is empty).
func gcFrom(data []float64, shape []int) *Tensor {
	return FromFloat64s(data).Reshape(shape...).Detach()
}

// gcProjection returns a deterministic random tensor shaped like out.
func gcProjection(shape []int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	v := make([]float64, numelOf(shape))
	for i := range v {
		v[i] = r.Float64()*2 - 1
	}
	return v
}

// gcOptions tunes one check.
type gcOptions struct {
	layout    gcLayout
	allowZero bool // the gradient may be identically zero (e.g. Pow(0))
}

// gradcheck compares analytic and numerical gradients of f at inputs (float64
// data templates; their layout is rebuilt by the checker). It returns nil when
// every element agrees within gcAtol + gcRtol·|numerical|.
func gradcheck(f gcFunc, inputs []*Tensor, opts gcOptions) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	datas := make([][]float64, len(inputs))
	shapes := make([][]int, len(inputs))
	for i, in := range inputs {
		if in.DType() != Float64 {
			return fmt.Errorf("input %d has dtype %v, want float64", i, in.DType())
		}
		datas[i], shapes[i] = in.Float64s(), in.Shape()
	}
	leaves := func(requiresGrad bool) []*Tensor {
		xs := make([]*Tensor, len(inputs))
		for i := range inputs {
			xs[i] = gcLeaf(datas[i], shapes[i], opts.layout)
			if requiresGrad {
				xs[i].SetRequiresGrad(true)
			}
		}
		return xs
	}

	// Analytic: one backward of the projected output.
	xs := leaves(true)
	out := f(xs)
	if out.DType() != Float64 {
		return fmt.Errorf("output has dtype %v, want float64", out.DType())
	}
	if !out.RequiresGrad() {
		return fmt.Errorf("output does not require grad (no grad_fn recorded)")
	}
	outShape := out.Shape()
	v := gcProjection(outShape, uint64(len(inputs))*7919+uint64(out.Numel()))
	out.BackwardWith(BackwardOptions{Grad: gcFrom(v, outShape)})
	analytic := make([][]float64, len(inputs))
	for i, x := range xs {
		g := x.Grad()
		if g == nil {
			analytic[i] = make([]float64, len(datas[i]))
			continue
		}
		if !sameShape(g.Shape(), shapes[i]) || g.DType() != Float64 {
			return fmt.Errorf("input %d: grad is %v %v, want %v %v", i, g.DType(), g.Shape(), Float64, shapes[i])
		}
		analytic[i] = g.Float64s()
	}

	// Numerical: central differences of <v, f(x)>.
	project := func() float64 {
		var o *Tensor
		NoGrad(func() { o = f(leaves(false)) })
		if !sameShape(o.Shape(), outShape) {
			panic(fmt.Sprintf("output shape changed from %v to %v", outShape, o.Shape()))
		}
		s := 0.0
		for k, y := range o.Float64s() {
			s += v[k] * y
		}
		return s
	}
	var msgs []string
	nonZero := false
	for i := range inputs {
		for j := range datas[i] {
			orig := datas[i][j]
			datas[i][j] = orig + gcEps
			fp := project()
			datas[i][j] = orig - gcEps
			fm := project()
			datas[i][j] = orig
			num := (fp - fm) / (2 * gcEps)
			a := analytic[i][j]
			if num != 0 || a != 0 {
				nonZero = true
			}
			if !(math.Abs(a-num) <= gcAtol+gcRtol*math.Abs(num)) {
				msgs = append(msgs, fmt.Sprintf("input %d element %d: analytic %.10g, numerical %.10g", i, j, a, num))
			}
		}
	}
	if len(msgs) > 0 {
		if len(msgs) > 6 {
			msgs = append(msgs[:6], fmt.Sprintf("… and %d more", len(msgs)-6))
		}
		return fmt.Errorf("gradients differ:\n\t%s", strings.Join(msgs, "\n\t"))
	}
	if !nonZero && !opts.allowZero {
		return fmt.Errorf("every gradient is zero; the check is vacuous")
	}
	return nil
}

// gcRand returns a float64 tensor of values with |x| in [0.2, 2] and random
// sign, away from the kinks of ReLU, Abs and friends.
func gcRand(seed uint64, shape ...int) *Tensor {
	r := rand.New(rand.NewPCG(seed, 1))
	d := make([]float64, numelOf(shape))
	for i := range d {
		d[i] = 0.2 + 1.8*r.Float64()
		if r.IntN(2) == 0 {
			d[i] = -d[i]
		}
	}
	return gcFrom(d, shape)
}

// gcPos returns a float64 tensor of values in [0.5, 2].
func gcPos(seed uint64, shape ...int) *Tensor {
	r := rand.New(rand.NewPCG(seed, 2))
	d := make([]float64, numelOf(shape))
	for i := range d {
		d[i] = 0.5 + 1.5*r.Float64()
	}
	return gcFrom(d, shape)
}

// gcVals returns a float64 tensor holding vals.
func gcVals(vals []float64, shape ...int) *Tensor { return FromFloat64s(vals, shape...) }

type gcCase struct {
	name       string
	inputs     []*Tensor
	f          gcFunc
	contigOnly bool // skip the strided layout (View needs contiguous input)
	allowZero  bool
}

func gcIn(ts ...*Tensor) []*Tensor { return ts }

func gcCases() []gcCase {
	idx := func(v ...int64) *Tensor { return FromInt64s(v) }
	idxs := func(shape []int, v ...int64) *Tensor { return FromInt64s(v, shape...) }
	mask := func(shape []int, v ...bool) *Tensor { return FromBools(v, shape...) }
	weight := gcRand(999, 3, 4) // a constant operand that needs no gradient

	cases := []gcCase{
		// Binary elementwise ops, tensor and scalar forms, with broadcasting.
		{name: "Add", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Add(x[1]) }},
		{name: "Add/broadcast", inputs: gcIn(gcRand(1, 3, 1, 4), gcRand(2, 2, 4)), f: func(x []*Tensor) *Tensor { return x[0].Add(x[1]) }},
		{name: "Add/0-dim", inputs: gcIn(gcRand(1, 2, 3), gcRand(2)), f: func(x []*Tensor) *Tensor { return x[0].Add(x[1]) }},
		{name: "Add/constant", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return weight.Add(x[0]) }},
		{name: "Add/self", inputs: gcIn(gcRand(1, 5)), f: func(x []*Tensor) *Tensor { return x[0].Add(x[0]) }},
		{name: "AddScalar", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].AddScalar(1.5) }},
		{name: "Sub", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Sub(x[1]) }},
		{name: "Sub/broadcast", inputs: gcIn(gcRand(1, 4), gcRand(2, 3, 1)), f: func(x []*Tensor) *Tensor { return x[0].Sub(x[1]) }},
		{name: "SubScalar", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].SubScalar(-2) }},
		{name: "Mul", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Mul(x[1]) }},
		{name: "Mul/broadcast", inputs: gcIn(gcRand(1, 2, 1, 3), gcRand(2, 4, 1)), f: func(x []*Tensor) *Tensor { return x[0].Mul(x[1]) }},
		{name: "Mul/self", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Mul(x[0]) }},
		{name: "Mul/constant", inputs: gcIn(gcRand(1, 4)), f: func(x []*Tensor) *Tensor { return weight.Mul(x[0]) }},
		{name: "MulScalar", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].MulScalar(-0.75) }},
		{name: "Div", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Div(x[1]) }},
		{name: "Div/broadcast", inputs: gcIn(gcRand(1, 3), gcRand(2, 2, 1)), f: func(x []*Tensor) *Tensor { return x[0].Div(x[1]) }},
		{name: "Div/0-dim numerator", inputs: gcIn(gcRand(1), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Div(x[1]) }},
		{name: "Div/constant numerator", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return weight.Div(x[0]) }},
		{name: "DivScalar", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].DivScalar(3) }},
		{name: "Pow/2", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Pow(2) }},
		{name: "Pow/3", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Pow(3) }},
		{name: "Pow/0.5", inputs: gcIn(gcPos(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Pow(0.5) }},
		{name: "Pow/-1.5", inputs: gcIn(gcPos(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Pow(-1.5) }},
		{name: "Pow/1", inputs: gcIn(gcRand(1, 4)), f: func(x []*Tensor) *Tensor { return x[0].Pow(1) }},
		{name: "Pow/0", inputs: gcIn(gcRand(1, 4)), f: func(x []*Tensor) *Tensor { return x[0].Pow(0) }, allowZero: true},
		{name: "PowTensor", inputs: gcIn(gcPos(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].PowTensor(x[1]) }},
		{name: "PowTensor/broadcast", inputs: gcIn(gcPos(1, 2, 3), gcRand(2, 3)), f: func(x []*Tensor) *Tensor { return x[0].PowTensor(x[1]) }},
		{name: "PowTensor/constant exponent", inputs: gcIn(gcPos(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].PowTensor(weight) }},
		{name: "PowTensor/constant base", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return weight.Abs().PowTensor(x[0]) }},

		// Unary ops.
		{name: "Neg", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Neg() }},
		{name: "Abs", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Abs() }},
		{name: "Exp", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Exp() }},
		{name: "Log", inputs: gcIn(gcPos(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Log() }},
		{name: "Sqrt", inputs: gcIn(gcPos(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Sqrt() }},
		{name: "Rsqrt", inputs: gcIn(gcPos(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Rsqrt() }},
		{name: "Sin", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Sin() }},
		{name: "Cos", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Cos() }},
		{name: "Tanh", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Tanh() }},
		{name: "Sigmoid", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Sigmoid() }},
		{name: "ReLU", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].ReLU() }},
		{name: "GELU", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].GELU() }},
		{name: "Clamp", inputs: gcIn(gcVals([]float64{-1.3, -0.45, -0.2, 0.1, 0.6, 0.8, 1.7, -0.9}, 2, 4)),
			f: func(x []*Tensor) *Tensor { return x[0].Clamp(-0.5, 0.7) }},
		{name: "Clamp/lower only", inputs: gcIn(gcRand(1, 2, 4)), f: func(x []*Tensor) *Tensor { return x[0].Clamp(0, math.Inf(1)) }},
		{name: "Clamp/upper only", inputs: gcIn(gcRand(1, 2, 4)), f: func(x []*Tensor) *Tensor { return x[0].Clamp(math.Inf(-1), 0.5) }},
		{name: "Where", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor {
			return Where(mask([]int{2, 3}, true, false, true, false, false, true), x[0], x[1])
		}},
		{name: "Where/broadcast", inputs: gcIn(gcRand(1, 3), gcRand(2, 2, 1)), f: func(x []*Tensor) *Tensor {
			return Where(mask([]int{2, 3}, true, false, true, false, false, true), x[0], x[1])
		}},
		{name: "Where/broadcast cond", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor {
			return Where(mask([]int{3}, false, true, true), x[0], x[1])
		}},
		{name: "Where/0-dim other", inputs: gcIn(gcRand(1, 2, 3), gcRand(2)), f: func(x []*Tensor) *Tensor {
			return Where(x[0].GtScalar(0), x[0], x[1])
		}},
		{name: "MaskedFill", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor {
			return x[0].MaskedFill(mask([]int{2, 3}, true, false, false, true, false, true), 5)
		}},
		{name: "MaskedFill/broadcast", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor {
			return x[0].MaskedFill(mask([]int{2, 1}, false, true), -1)
		}},

		// Reductions.
		{name: "Sum", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Sum() }},
		{name: "SumDim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].SumDim(1, false) }},
		{name: "SumDim/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].SumDim(-1, true) }},
		{name: "SumDims", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].SumDims([]int{0, 2}, false) }},
		{name: "SumDims/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].SumDims([]int{2, 0}, true) }},
		{name: "Mean", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Mean() }},
		{name: "MeanDim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MeanDim(0, false) }},
		{name: "MeanDim/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MeanDim(1, true) }},
		{name: "MeanDims", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MeanDims([]int{1, 2}, false) }},
		{name: "MeanDims/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MeanDims([]int{0, -1}, true) }},
		{name: "Prod", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Prod() }},
		{name: "Prod/one zero", inputs: gcIn(gcVals([]float64{1.5, -0.7, 0, 1.2, 0.9, -1.1}, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Prod() }},
		{name: "Prod/two zeros", inputs: gcIn(gcVals([]float64{1.5, 0, 0, 1.2, 0.9, -1.1}, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Prod() }, allowZero: true},
		{name: "Prod/two zeros then scaled", inputs: gcIn(gcVals([]float64{1.5, 0, 0, 1.2, 0.9, -1.1}, 2, 3)), f: func(x []*Tensor) *Tensor {
			return x[0].Prod().Add(x[0].Sum())
		}},
		{name: "ProdDim", inputs: gcIn(gcRand(1, 2, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].ProdDim(1, false) }},
		{name: "ProdDim/keepdim", inputs: gcIn(gcRand(1, 2, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].ProdDim(-1, true) }},
		{name: "ProdDim/one zero", inputs: gcIn(gcVals([]float64{1.5, -0.7, 0, 1.2, 0.9, -1.1}, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].ProdDim(1, false) }},
		{name: "ProdDim/two zeros in a row", inputs: gcIn(gcVals([]float64{1.5, 0, 0, 1.2, 0.9, -1.1}, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].ProdDim(1, true) }},
		{name: "ProdDim/zeros across rows", inputs: gcIn(gcVals([]float64{0, 0.8, 0, 1.2, 0.9, -1.1}, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].ProdDim(0, false) }},
		{name: "Max", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Max() }},
		{name: "Min", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Min() }},
		{name: "MaxDim", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { v, _ := x[0].MaxDim(1, false); return v }},
		{name: "MaxDim/keepdim", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { v, _ := x[0].MaxDim(0, true); return v }},
		{name: "MinDim", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { v, _ := x[0].MinDim(-1, false); return v }},
		{name: "MinDim/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { v, _ := x[0].MinDim(1, true); return v }},
		{name: "Var", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Var() }},
		{name: "VarDim/unbiased", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].VarDim(1, true, false) }},
		{name: "VarDim/biased keepdim", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].VarDim(0, false, true) }},
		{name: "VarDims", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].VarDims([]int{0, 2}, true, false) }},
		{name: "VarDims/biased keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].VarDims([]int{1, 2}, false, true) }},
		{name: "Std", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Std() }},
		{name: "StdDim/unbiased", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].StdDim(1, true, false) }},
		{name: "StdDim/biased keepdim", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].StdDim(-2, false, true) }},
		{name: "StdDims", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].StdDims([]int{0, 2}, false, false) }},
		{name: "StdDims/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].StdDims([]int{1, 2}, true, true) }},
		{name: "LogSumExp", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].LogSumExp(1, false) }},
		{name: "LogSumExp/keepdim", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].LogSumExp(0, true) }},
		{name: "Softmax", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Softmax(1) }},
		{name: "Softmax/dim0", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Softmax(0) }},
		{name: "Softmax/3-D middle", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Softmax(-2) }},
		{name: "LogSoftmax", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].LogSoftmax(-1) }},
		{name: "LogSoftmax/3-D middle", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].LogSoftmax(1) }},

		// MatMul in every rank combination.
		{name: "MatMul/dot", inputs: gcIn(gcRand(1, 4), gcRand(2, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/mv", inputs: gcIn(gcRand(1, 3, 4), gcRand(2, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/vm", inputs: gcIn(gcRand(1, 3), gcRand(2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/mm", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/bmm", inputs: gcIn(gcRand(1, 2, 2, 3), gcRand(2, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/3D×2D", inputs: gcIn(gcRand(1, 2, 2, 3), gcRand(2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/2D×3D", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/1D×3D", inputs: gcIn(gcRand(1, 3), gcRand(2, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/3D×1D", inputs: gcIn(gcRand(1, 2, 2, 3), gcRand(2, 3)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/batch broadcast", inputs: gcIn(gcRand(1, 2, 1, 2, 3), gcRand(2, 3, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/batch broadcast both", inputs: gcIn(gcRand(1, 2, 1, 2, 3), gcRand(2, 1, 2, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1]) }},
		{name: "MatMul/Aᵀ·B", inputs: gcIn(gcRand(1, 3, 2), gcRand(2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].T().MatMul(x[1]) }},
		{name: "MatMul/A·Bᵀ", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 4, 3)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[1].T()) }},
		{name: "MatMul/Aᵀ·Bᵀ", inputs: gcIn(gcRand(1, 3, 2), gcRand(2, 4, 3)), f: func(x []*Tensor) *Tensor { return x[0].T().MatMul(x[1].T()) }},
		{name: "MatMul/batched transposes", inputs: gcIn(gcRand(1, 2, 3, 2), gcRand(2, 2, 4, 3)), f: func(x []*Tensor) *Tensor {
			return x[0].Transpose(-1, -2).MatMul(x[1].Transpose(1, 2))
		}},
		{name: "MatMul/A·Aᵀ", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(x[0].T()) }},
		{name: "MatMul/constant", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].MatMul(weight) }},

		// Joining and splitting.
		{name: "Cat/dim0", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 1, 3), gcRand(3, 3, 3)), f: func(x []*Tensor) *Tensor { return Cat(x, 0) }},
		{name: "Cat/dim-1", inputs: gcIn(gcRand(1, 2, 1), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return Cat(x, -1) }},
		{name: "Cat/with constant", inputs: gcIn(gcRand(1, 2, 4)), f: func(x []*Tensor) *Tensor { return Cat([]*Tensor{weight, x[0], weight}, 0) }},
		{name: "Stack/dim0", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return Stack(x, 0) }},
		{name: "Stack/dim1", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3), gcRand(3, 2, 3)), f: func(x []*Tensor) *Tensor { return Stack(x, 1) }},
		{name: "Stack/dim-1", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 2, 3)), f: func(x []*Tensor) *Tensor { return Stack(x, -1) }},
		{name: "Split", inputs: gcIn(gcRand(1, 2, 5)), f: func(x []*Tensor) *Tensor {
			p := x[0].Split(2, 1)
			return Cat([]*Tensor{p[0].MulScalar(1), p[1].MulScalar(2), p[2].MulScalar(3)}, 1)
		}},
		{name: "Split/one piece used", inputs: gcIn(gcRand(1, 5, 2)), f: func(x []*Tensor) *Tensor { return x[0].Split(2, 0)[1].Exp() }},
		{name: "SplitSizes", inputs: gcIn(gcRand(1, 6, 2)), f: func(x []*Tensor) *Tensor {
			p := x[0].SplitSizes([]int{1, 3, 2}, 0)
			return p[0].Sum().Add(p[1].Pow(2).Sum()).Add(p[2].Exp().Sum())
		}},
		{name: "Chunk", inputs: gcIn(gcRand(1, 3, 7)), f: func(x []*Tensor) *Tensor {
			p := x[0].Chunk(3, -1)
			return p[0].Sum().Add(p[1].Pow(2).Sum()).Add(p[2].Sin().Sum())
		}},

		// Indexing.
		{name: "IndexSelect/dim0", inputs: gcIn(gcRand(1, 4, 3)), f: func(x []*Tensor) *Tensor { return x[0].IndexSelect(0, idx(2, 0, 2, -1)) }},
		{name: "IndexSelect/dim1", inputs: gcIn(gcRand(1, 2, 4)), f: func(x []*Tensor) *Tensor { return x[0].IndexSelect(1, idx(3, 3, 1)) }},
		{name: "Gather/dim0", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor {
			return x[0].Gather(0, idxs([]int{2, 4}, 0, 1, 2, 0, 2, 2, 1, 0))
		}},
		{name: "Gather/dim1", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor {
			return x[0].Gather(1, idxs([]int{3, 2}, 3, 3, 0, 1, 2, -1))
		}},
		{name: "Scatter", inputs: gcIn(gcRand(1, 3, 4), gcRand(2, 2, 4)), f: func(x []*Tensor) *Tensor {
			return x[0].Scatter(0, idxs([]int{2, 4}, 0, 2, 1, 0, 2, 0, 0, 1), x[1])
		}},
		{name: "Scatter/dim1", inputs: gcIn(gcRand(1, 3, 4), gcRand(2, 3, 2)), f: func(x []*Tensor) *Tensor {
			return x[0].Scatter(1, idxs([]int{3, 2}, 0, 3, 2, 1, 1, 0), x[1])
		}},
		{name: "ScatterAdd", inputs: gcIn(gcRand(1, 3, 4), gcRand(2, 2, 4)), f: func(x []*Tensor) *Tensor {
			return x[0].ScatterAdd(0, idxs([]int{2, 4}, 0, 2, 2, 0, 0, 2, 2, 1), x[1])
		}},

		// Views.
		{name: "Reshape", inputs: gcIn(gcRand(1, 2, 6)), f: func(x []*Tensor) *Tensor { return x[0].Reshape(3, -1, 2).MulScalar(2) }},
		{name: "Reshape/of transpose (copies)", inputs: gcIn(gcRand(1, 2, 6)), f: func(x []*Tensor) *Tensor { return x[0].T().Reshape(4, 3) }},
		{name: "View", inputs: gcIn(gcRand(1, 2, 6)), f: func(x []*Tensor) *Tensor { return x[0].View(4, 3).Exp() }, contigOnly: true},
		{name: "Transpose", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Transpose(0, 2) }},
		{name: "Permute", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Permute(1, 2, 0).Exp() }},
		{name: "T", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].T().Mul(weight.Narrow(0, 0, 3).Narrow(1, 0, 2)) }},
		{name: "Narrow", inputs: gcIn(gcRand(1, 4, 5)), f: func(x []*Tensor) *Tensor { return x[0].Narrow(1, 1, 3) }},
		{name: "Narrow/negative start", inputs: gcIn(gcRand(1, 4, 5)), f: func(x []*Tensor) *Tensor { return x[0].Narrow(0, -2, 2).Sin() }},
		{name: "Slice/step 2", inputs: gcIn(gcRand(1, 3, 7)), f: func(x []*Tensor) *Tensor { return x[0].Slice(1, 1, End, 2) }},
		{name: "Slice/step 3 negative bounds", inputs: gcIn(gcRand(1, 8, 2)), f: func(x []*Tensor) *Tensor { return x[0].Slice(0, -7, -1, 3).Exp() }},
		{name: "Select", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Select(1, 2) }},
		{name: "Select/negative", inputs: gcIn(gcRand(1, 2, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Select(0, -1).Exp() }},
		{name: "Expand", inputs: gcIn(gcRand(1, 1, 3)), f: func(x []*Tensor) *Tensor { return x[0].Expand(4, 3) }},
		{name: "Expand/new dims", inputs: gcIn(gcRand(1, 3, 1)), f: func(x []*Tensor) *Tensor { return x[0].Expand(2, 3, 4).Exp() }},
		{name: "ExpandAs", inputs: gcIn(gcRand(1, 4)), f: func(x []*Tensor) *Tensor { return x[0].ExpandAs(weight).Mul(weight) }},
		{name: "Squeeze", inputs: gcIn(gcRand(1, 1, 3, 1, 2)), f: func(x []*Tensor) *Tensor { return x[0].Squeeze().Exp() }},
		{name: "Squeeze/dim", inputs: gcIn(gcRand(1, 1, 3, 1, 2)), f: func(x []*Tensor) *Tensor { return x[0].Squeeze(2) }},
		{name: "Unsqueeze", inputs: gcIn(gcRand(1, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].Unsqueeze(1).Expand(3, 4, 2) }},
		{name: "Unsqueeze/last", inputs: gcIn(gcRand(1, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].Unsqueeze(-1).Exp() }},
		{name: "Flatten", inputs: gcIn(gcRand(1, 2, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].Flatten().Exp() }},
		{name: "Flatten/start", inputs: gcIn(gcRand(1, 2, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].Flatten(1) }},
		{name: "Flatten/range", inputs: gcIn(gcRand(1, 2, 3, 2)), f: func(x []*Tensor) *Tensor { return x[0].Flatten(0, 1).Sin() }},
		{name: "Clone", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].Clone().Mul(x[0]) }},
		{name: "Contiguous", inputs: gcIn(gcRand(1, 2, 3)), f: func(x []*Tensor) *Tensor { return x[0].T().Contiguous().Exp() }},
		{name: "view chain", inputs: gcIn(gcRand(1, 3, 4, 5)), f: func(x []*Tensor) *Tensor {
			return x[0].Transpose(0, 2).Narrow(0, 1, 3).Select(2, 1).Slice(1, 0, End, 2).Unsqueeze(0).Flatten().Exp()
		}},
		{name: "view into MatMul", inputs: gcIn(gcRand(1, 4, 6)), f: func(x []*Tensor) *Tensor {
			return x[0].Narrow(1, 1, 4).Slice(0, 0, End, 2).MatMul(x[0].Select(1, 0).Reshape(2, 2).Reshape(4))
		}},

		// Python-style indexing (views for basic indices, copies for tensor indices).
		{name: "Index/basic", inputs: gcIn(gcRand(1, 3, 4, 5)), f: func(x []*Tensor) *Tensor { return x[0].Index(1, S(0, End, 2)).Exp() }},
		{name: "Index/ellipsis and new axis", inputs: gcIn(gcRand(1, 3, 4, 5)), f: func(x []*Tensor) *Tensor {
			return x[0].Index(Ellipsis, NewAxis, S(-3, End)).Sin()
		}},
		{name: "Index/tensor with repeats", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].Index(idx(2, 0, 2, -1)) }},
		{name: "Index/tensor after slice", inputs: gcIn(gcRand(1, 3, 4, 5)), f: func(x []*Tensor) *Tensor {
			return x[0].Index(All, idx(1, 3, 1), S(1, 4))
		}},
		{name: "Index/separated tensors", inputs: gcIn(gcRand(1, 3, 4, 5)), f: func(x []*Tensor) *Tensor {
			return x[0].Index(idx(0, 2, 0), All, idx(4, 1, 4))
		}},
		{name: "Index/bool mask", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor {
			return x[0].Index(mask([]int{3, 4}, true, false, false, true, false, true, true, false, true, false, false, true)).Exp()
		}},

		// A custom Function (its result's gradient is reduced to each input's shape).
		{name: "Function", inputs: gcIn(gcRand(1, 2, 3), gcRand(2, 3)), f: func(x []*Tensor) *Tensor {
			mulAdd := Function{
				Name:    "MulAddBackward0",
				Forward: func(in []*Tensor) *Tensor { return in[0].Mul(in[1]).Add(in[1]) },
				Backward: func(in []*Tensor, _, g *Tensor) []*Tensor {
					return []*Tensor{g.Mul(in[1]), g.Mul(in[0].AddScalar(1))}
				},
			}
			return mulAdd.Apply(x[0], x[1]).Tanh()
		}},

		// In-place ops on non-leaves.
		{name: "ReLUInPlace", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor { return x[0].MulScalar(2).ReLUInPlace() }},
		{name: "AddInPlace/MulInPlace", inputs: gcIn(gcRand(1, 3, 4), gcRand(2, 4)), f: func(x []*Tensor) *Tensor {
			h := x[0].Sin()
			h.AddInPlace(x[1])
			return h.MulInPlace(x[1])
		}},
		{name: "ClampInPlace", inputs: gcIn(gcVals([]float64{-1.3, -0.45, -0.2, 0.1, 0.6, 0.8}, 2, 3)), f: func(x []*Tensor) *Tensor {
			return x[0].MulScalar(1).ClampInPlace(-0.5, 0.7)
		}},

		// Shared sub-graphs.
		{name: "shared subgraph", inputs: gcIn(gcRand(1, 3, 4)), f: func(x []*Tensor) *Tensor {
			h := x[0].Tanh()
			return h.Mul(h.Sigmoid()).Add(h.Exp()).Sub(x[0])
		}},
	}

	// A two-layer MLP with a tanh hidden layer and a softmax cross-entropy
	// loss written from ops: mean(logsumexp(z) - z[target]).
	input := gcRand(100, 4, 3)
	target := idxs([]int{4, 1}, 2, 0, 1, 2)
	cases = append(cases, gcCase{
		name:   "MLP with cross-entropy",
		inputs: gcIn(gcRand(101, 3, 5), gcRand(102, 5), gcRand(103, 5, 3), gcRand(104, 3)),
		f: func(x []*Tensor) *Tensor {
			w1, b1, w2, b2 := x[0], x[1], x[2], x[3]
			h := input.MatMul(w1).Add(b1).Tanh()
			z := h.MatMul(w2).Add(b2)
			picked := z.Gather(1, target).Squeeze(1)
			return z.LogSumExp(1, false).Sub(picked).Mean()
		},
	}, gcCase{
		name:   "MLP with softmax cross-entropy via Softmax and Log",
		inputs: gcIn(gcRand(101, 3, 5), gcRand(102, 5), gcRand(103, 5, 3), gcRand(104, 3)),
		f: func(x []*Tensor) *Tensor {
			w1, b1, w2, b2 := x[0], x[1], x[2], x[3]
			h := input.MatMul(w1).Add(b1).Tanh()
			p := h.MatMul(w2).Add(b2).Softmax(-1)
			onehot := Zeros(4, 3).To(Float64).Scatter(1, target, Ones(4, 1).To(Float64))
			return p.Log().Mul(onehot).Sum().Neg().DivScalar(4)
		},
	})
	return cases
}

// TestGradcheck runs the finite-difference checker on every differentiable op,
// with contiguous leaves and again with strided ones.
func TestGradcheck(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range gcCases() {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		for _, layout := range []gcLayout{gcContiguous, gcStrided} {
			if layout == gcStrided && c.contigOnly {
				continue
			}
			t.Run(c.name+"/"+layout.String(), func(t *testing.T) {
				if err := gradcheck(c.f, c.inputs, gcOptions{layout: layout, allowZero: c.allowZero}); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// gcSquare returns x*x through a hand-made node whose backward multiplies
// the correct gradient by factor, so the checker can be checked.
func gcSquare(x *Tensor, factor float64) *Tensor {
	out := applyBinary("Mul", x, x, x.dtype, mulKernel)
	if needsGrad(x) {
		record(out, "SquareBackward0", []*Tensor{x}, []*Tensor{x}, func(g *Tensor) []*Tensor {
			return []*Tensor{g.Mul(x).MulScalar(2 * factor)}
		})
	}
	return out
}

// TestGradcheckDetectsWrongGradients makes sure the checker is not vacuous:
// a node whose backward is off by a factor of two, a hook that corrupts a
// gradient, and a function whose gradient is dropped must all fail.
func TestGradcheckDetectsWrongGradients(t *testing.T) {
	in := gcIn(gcRand(7, 2, 3))
	for _, layout := range []gcLayout{gcContiguous, gcStrided} {
		if err := gradcheck(func(x []*Tensor) *Tensor { return gcSquare(x[0], 1) }, in, gcOptions{layout: layout}); err != nil {
			t.Errorf("%v: correct hand-made node rejected: %v", layout, err)
		}
		if err := gradcheck(func(x []*Tensor) *Tensor { return gcSquare(x[0], 2) }, in, gcOptions{layout: layout}); err == nil {
			t.Errorf("%v: a backward returning twice the gradient passed the check", layout)
		} else if !strings.Contains(err.Error(), "gradients differ") {
			t.Errorf("%v: unexpected failure: %v", layout, err)
		}
	}
	// Off by a small relative amount, just above the tolerance.
	if err := gradcheck(func(x []*Tensor) *Tensor { return gcSquare(x[0], 1+1e-4) }, in, gcOptions{}); err == nil {
		t.Error("a backward off by 1e-4 relative passed the check")
	}
	// The same through the public Function API.
	square := func(factor float64) gcFunc {
		f := Function{
			Name:    "SquareBackward0",
			Forward: func(in []*Tensor) *Tensor { return in[0].Mul(in[0]) },
			Backward: func(in []*Tensor, _, g *Tensor) []*Tensor {
				return []*Tensor{g.Mul(in[0]).MulScalar(2 * factor)}
			},
		}
		return func(x []*Tensor) *Tensor { return f.Apply(x[0]) }
	}
	if err := gradcheck(square(1), in, gcOptions{}); err != nil {
		t.Errorf("correct Function rejected: %v", err)
	}
	if err := gradcheck(square(2), in, gcOptions{}); err == nil {
		t.Error("a Function whose Backward returns twice the gradient passed the check")
	}
	// A hook that corrupts one intermediate gradient.
	corrupt := func(x []*Tensor) *Tensor {
		h := x[0].Exp()
		if h.RequiresGrad() {
			h.RegisterHook(func(g *Tensor) *Tensor { return g.AddScalar(0.01) })
		}
		return h.Sin()
	}
	if err := gradcheck(corrupt, in, gcOptions{}); err == nil {
		t.Error("a corrupting hook passed the check")
	}
	// A gradient that does not reach the leaf.
	dropped := func(x []*Tensor) *Tensor {
		return x[0].Detach().Exp().Add(x[0].MulScalar(0))
	}
	if err := gradcheck(dropped, in, gcOptions{}); err == nil {
		t.Error("a detached computation passed the check")
	}
	// A function with no gradient at all is reported as vacuous.
	if err := gradcheck(func(x []*Tensor) *Tensor { return x[0].MulScalar(0) }, in, gcOptions{}); err == nil || !strings.Contains(err.Error(), "vacuous") {
		t.Errorf("an identically zero gradient was not reported as vacuous: %v", err)
	}
}

// TestGradcheckLayouts makes sure the strided layout really is strided and
// holds the same values.
func TestGradcheckLayouts(t *testing.T) {
	for _, shape := range [][]int{{}, {5}, {2, 3}, {2, 3, 4}} {
		data := gcRand(3, shape...).Float64s()
		c, s := gcLeaf(data, shape, gcContiguous), gcLeaf(data, shape, gcStrided)
		if !c.IsContiguous() || !c.IsLeaf() || !s.IsLeaf() {
			t.Errorf("%v: contiguous leaf is contiguous %v", shape, c.IsContiguous())
		}
		if len(shape) > 0 && s.IsContiguous() {
			t.Errorf("%v: strided leaf is contiguous (strides %v)", shape, s.Strides())
		}
		if fmt.Sprint(s.Shape()) != fmt.Sprint(c.Shape()) || fmt.Sprint(s.Float64s()) != fmt.Sprint(data) {
			t.Errorf("%v: strided leaf %v %v, want %v %v", shape, s.Shape(), s.Float64s(), c.Shape(), data)
		}
	}
}
