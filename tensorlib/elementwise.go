package tensorlib

import "math"

// Elementwise kernels and the machinery every elementwise op shares:
// promotion, broadcasting, and reducing a broadcast gradient back to an
// input's shape.

// binaryKernel holds one op's element functions per computation dtype; a nil
// entry means the op does not support that dtype.
type binaryKernel struct {
	op  binOp // the fast path for float32 and float64 (kernels.go), if any
	f32 func(a, b float32) float32
	f64 func(a, b float64) float64
	i64 func(a, b int64) int64
	b   func(a, b bool) bool
}

// applyBinary computes k elementwise over a and b broadcast together, after
// converting both to dtype dt.
func applyBinary(op string, a, b *Tensor, dt DType, k binaryKernel) *Tensor {
	shape := broadcastShapes(op, a.shape, b.shape)
	ac, bc := a.castForKernel(dt), b.castForKernel(dt)
	out := newTensorUninit(dt, shape)
	if k.op != binNone && smallBinary(out, ac, bc, k.op) {
		return out
	}
	as, bs := ac.broadcastStrides(shape), bc.broadcastStrides(shape)
	switch dt {
	case Float32:
		if k.op != binNone {
			ewBinary(&kern32, k.op, dataOf[float32](out), dataOf[float32](ac), as, ac.offset, dataOf[float32](bc), bs, bc.offset, shape)
			break
		}
		if k.f32 == nil {
			unsupported(op, a, b)
		}
		mapBinary(dataOf[float32](out), dataOf[float32](ac), as, ac.offset, dataOf[float32](bc), bs, bc.offset, shape, k.f32)
	case Float64:
		if k.op != binNone {
			ewBinary(&kern64, k.op, dataOf[float64](out), dataOf[float64](ac), as, ac.offset, dataOf[float64](bc), bs, bc.offset, shape)
			break
		}
		if k.f64 == nil {
			unsupported(op, a, b)
		}
		mapBinary(dataOf[float64](out), dataOf[float64](ac), as, ac.offset, dataOf[float64](bc), bs, bc.offset, shape, k.f64)
	case Int64:
		if k.i64 == nil {
			unsupported(op, a, b)
		}
		mapBinary(dataOf[int64](out), dataOf[int64](ac), as, ac.offset, dataOf[int64](bc), bs, bc.offset, shape, k.i64)
	case Bool:
		if k.b == nil {
			unsupported(op, a, b)
		}
		mapBinary(dataOf[bool](out), dataOf[bool](ac), as, ac.offset, dataOf[bool](bc), bs, bc.offset, shape, k.b)
	}
	return out
}

// smallBinary computes out = a op b with one row kernel call, without the
// strided machinery, when the op is small (no parallel split) and a is
// contiguous with out's shape and b either too or a single value (a
// training loop's many small ops), and reports whether it did.
func smallBinary(out, a, b *Tensor, op binOp) bool {
	if out.Numel() >= cheapParallelMin || !a.IsContiguous() || !sameShape(a.shape, out.shape) {
		return false
	}
	bs := 1
	switch {
	case b.Numel() == 1:
		bs = 0
	case !b.IsContiguous() || !sameShape(b.shape, out.shape):
		return false
	}
	switch out.dtype {
	case Float32:
		binRow(&kern32, op, dataOf[float32](out), dataOf[float32](a), a.offset, 1, dataOf[float32](b), b.offset, bs)
	case Float64:
		binRow(&kern64, op, dataOf[float64](out), dataOf[float64](a), a.offset, 1, dataOf[float64](b), b.offset, bs)
	default:
		return false
	}
	return true
}

// castForKernel returns t converted to dt outside the autograd graph (the op
// that uses it converts gradients back itself).
func (t *Tensor) castForKernel(dt DType) *Tensor {
	if t.dtype == dt {
		return t
	}
	return fromData(dt, convertTo(t, dt), t.shape)
}

func unsupported(op string, ts ...*Tensor) {
	shapes := make([][]int, len(ts))
	dts := make([]any, len(ts))
	for i, t := range ts {
		shapes[i], dts[i] = t.shape, t.dtype
	}
	if len(ts) == 1 {
		failShapes(op, shapes, "not implemented for dtype %v", dts...)
	}
	failShapes(op, shapes, "not implemented for dtypes %v and %v", dts[0], dts[1])
}

// compareKernel holds one comparison's element functions per dtype.
type compareKernel struct {
	op  cmpOp // the fast path for float32 and float64 (kernels.go)
	f32 func(a, b float32) bool
	f64 func(a, b float64) bool
	i64 func(a, b int64) bool
	b   func(a, b bool) bool
}

// applyCompare compares a and b broadcast together, giving a Bool tensor.
func applyCompare(op string, a, b *Tensor, k compareKernel) *Tensor {
	dt := ResultType(a, b)
	shape := broadcastShapes(op, a.shape, b.shape)
	ac, bc := a.castForKernel(dt), b.castForKernel(dt)
	out := newTensor(Bool, shape)
	as, bs := ac.broadcastStrides(shape), bc.broadcastStrides(shape)
	o := dataOf[bool](out)
	switch {
	case dt == Float32 && k.op != cmpNone:
		ewCompare(k.op, o, dataOf[float32](ac), as, ac.offset, dataOf[float32](bc), bs, bc.offset, shape)
	case dt == Float64 && k.op != cmpNone:
		ewCompare(k.op, o, dataOf[float64](ac), as, ac.offset, dataOf[float64](bc), bs, bc.offset, shape)
	case dt == Float32:
		mapBinary(o, dataOf[float32](ac), as, ac.offset, dataOf[float32](bc), bs, bc.offset, shape, k.f32)
	case dt == Float64:
		mapBinary(o, dataOf[float64](ac), as, ac.offset, dataOf[float64](bc), bs, bc.offset, shape, k.f64)
	case dt == Int64:
		mapBinary(o, dataOf[int64](ac), as, ac.offset, dataOf[int64](bc), bs, bc.offset, shape, k.i64)
	case dt == Bool:
		if k.b == nil {
			unsupported(op, a, b)
		}
		mapBinary(o, dataOf[bool](ac), as, ac.offset, dataOf[bool](bc), bs, bc.offset, shape, k.b)
	}
	return out
}

// unaryKernel holds one op's element function; f32 and i64 are optional
// (float32 falls back to f64 with rounding; a nil i64 promotes integer and
// bool inputs to Float32 first).
type unaryKernel struct {
	op  unOp // the fast path for float32 and float64 (kernels.go), if any
	f64 func(float64) float64
	f32 func(float32) float32
	i64 func(int64) int64
}

// applyUnary computes k over every element of t.
func applyUnary(op string, t *Tensor, k unaryKernel) *Tensor {
	src := t
	if !t.dtype.IsFloat() {
		if k.i64 != nil {
			src = t.castForKernel(Int64)
			out := newTensor(Int64, t.shape)
			mapUnary(dataOf[int64](out), dataOf[int64](src), src.shape, src.strides, src.offset, k.i64)
			return out
		}
		if k.f64 == nil {
			unsupported(op, t)
		}
		src = t.castForKernel(Float32)
	}
	out := newTensorUninit(src.dtype, src.shape)
	switch {
	case k.op != unNone && src.dtype == Float32:
		ewUnary(&kern32, k.op, dataOf[float32](out), dataOf[float32](src), src.shape, src.strides, src.offset)
	case k.op != unNone && src.dtype == Float64:
		ewUnary(&kern64, k.op, dataOf[float64](out), dataOf[float64](src), src.shape, src.strides, src.offset)
	case src.dtype == Float32:
		f := k.f32
		if f == nil {
			f64 := k.f64
			f = func(x float32) float32 { return float32(f64(float64(x))) }
		}
		mapUnary(dataOf[float32](out), dataOf[float32](src), src.shape, src.strides, src.offset, f)
	case src.dtype == Float64:
		mapUnary(dataOf[float64](out), dataOf[float64](src), src.shape, src.strides, src.offset, k.f64)
	}
	return out
}

// sumTo reduces a broadcast gradient g to shape by summing over the
// broadcast dimensions.
func (g *Tensor) sumTo(shape []int) *Tensor {
	if sameShape(g.shape, shape) {
		return g
	}
	lead := len(g.shape) - len(shape)
	var dims []int
	for i := range g.shape {
		if i < lead || (shape[i-lead] == 1 && g.shape[i] != 1) {
			dims = append(dims, i)
		}
	}
	r := g
	if len(dims) > 0 {
		r = g.SumDims(dims, true)
	}
	return r.Reshape(shape...)
}

// gradFor converts the output gradient g into the gradient for input t:
// reduced over broadcast dimensions and cast to t's dtype.
func gradFor(g, t *Tensor) *Tensor {
	return g.sumTo(t.shape).To(t.dtype)
}

// gradIfNeeded is gradFor(g, t) when t requires grad, nil otherwise.
func gradIfNeeded(g, t *Tensor) *Tensor {
	if !t.RequiresGrad() {
		return nil
	}
	return gradFor(g, t)
}

// scalarTensor returns a zero-dimensional tensor of dtype dt holding v.
func scalarTensor(v float64, dt DType) *Tensor {
	t := newTensor(dt, nil)
	t.fill(v)
	return t
}

// scalarResultType is the dtype of an op between t and the Go scalar v.
func scalarResultType(t *Tensor, v float64) DType {
	return resultType(operand{dtype: t.dtype, zeroD: len(t.shape) == 0}, operand{dtype: scalarDType(v), scalar: true})
}

// floatResult is the dtype of a true-division or transcendental result.
func floatResult(dt DType) DType { return floatOr(dt) }

var (
	addKernel = binaryKernel{
		op:  binAdd,
		f32: func(a, b float32) float32 { return a + b },
		f64: func(a, b float64) float64 { return a + b },
		i64: func(a, b int64) int64 { return a + b },
		b:   func(a, b bool) bool { return a || b },
	}
	subKernel = binaryKernel{
		op:  binSub,
		f32: func(a, b float32) float32 { return a - b },
		f64: func(a, b float64) float64 { return a - b },
		i64: func(a, b int64) int64 { return a - b },
	}
	mulKernel = binaryKernel{
		op:  binMul,
		f32: func(a, b float32) float32 { return a * b },
		f64: func(a, b float64) float64 { return a * b },
		i64: func(a, b int64) int64 { return a * b },
		b:   func(a, b bool) bool { return a && b },
	}
	divKernel = binaryKernel{
		op:  binDiv,
		f32: func(a, b float32) float32 { return a / b },
		f64: func(a, b float64) float64 { return a / b },
	}
	powKernel = binaryKernel{
		op:  binPow,
		f32: func(a, b float32) float32 { return float32(math.Pow(float64(a), float64(b))) },
		f64: math.Pow,
		i64: powInt,
	}
)

// powInt raises a to the non-negative integer power b (0 for negative b,
// except for bases ±1, as PyTorch does).
func powInt(a, b int64) int64 {
	if b < 0 {
		switch a {
		case 1:
			return 1
		case -1:
			if b%2 == 0 {
				return 1
			}
			return -1
		}
		return 0
	}
	r := int64(1)
	for b > 0 {
		if b&1 == 1 {
			r *= a
		}
		a *= a
		b >>= 1
	}
	return r
}

// Add returns a + b, broadcasting and promoting dtypes.
func (a *Tensor) Add(b *Tensor) *Tensor { return addOp(a, b, ResultType(a, b)) }

// AddScalar returns a + s.
func (a *Tensor) AddScalar(s float64) *Tensor {
	dt := scalarResultType(a, s)
	return addOp(a, scalarTensor(s, dt), dt)
}

func addOp(a, b *Tensor, dt DType) *Tensor {
	out := applyBinary("Add", a, b, dt, addKernel)
	if needsGrad(a, b) {
		record(out, "AddBackward0", []*Tensor{a, b}, nil, func(g *Tensor) []*Tensor {
			return []*Tensor{gradIfNeeded(g, a), gradIfNeeded(g, b)}
		})
	}
	return out
}

// Sub returns a - b, broadcasting and promoting dtypes.
func (a *Tensor) Sub(b *Tensor) *Tensor { return subOp(a, b, ResultType(a, b)) }

// SubScalar returns a - s.
func (a *Tensor) SubScalar(s float64) *Tensor {
	dt := scalarResultType(a, s)
	return subOp(a, scalarTensor(s, dt), dt)
}

func subOp(a, b *Tensor, dt DType) *Tensor {
	if dt == Bool {
		failShapes("Sub", [][]int{a.shape, b.shape}, "subtraction with two bool tensors is not supported; use LogicalXor or LogicalNot")
	}
	out := applyBinary("Sub", a, b, dt, subKernel)
	if needsGrad(a, b) {
		record(out, "SubBackward0", []*Tensor{a, b}, nil, func(g *Tensor) []*Tensor {
			var gb *Tensor
			if b.RequiresGrad() {
				gb = gradFor(g.Neg(), b)
			}
			return []*Tensor{gradIfNeeded(g, a), gb}
		})
	}
	return out
}

// Mul returns a * b elementwise, broadcasting and promoting dtypes.
func (a *Tensor) Mul(b *Tensor) *Tensor { return mulOp(a, b, ResultType(a, b)) }

// MulScalar returns a * s.
func (a *Tensor) MulScalar(s float64) *Tensor {
	dt := scalarResultType(a, s)
	return mulOp(a, scalarTensor(s, dt), dt)
}

func mulOp(a, b *Tensor, dt DType) *Tensor {
	out := applyBinary("Mul", a, b, dt, mulKernel)
	if needsGrad(a, b) {
		record(out, "MulBackward0", []*Tensor{a, b}, savedIf(b.RequiresGrad(), a, a.RequiresGrad(), b), func(g *Tensor) []*Tensor {
			var ga, gb *Tensor
			if a.RequiresGrad() {
				ga = gradFor(g.Mul(b), a)
			}
			if b.RequiresGrad() {
				gb = gradFor(g.Mul(a), b)
			}
			return []*Tensor{ga, gb}
		})
	}
	return out
}

// savedIf returns the tensors whose condition holds, for record's saved list.
func savedIf(pairs ...any) []*Tensor {
	var out []*Tensor
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i].(bool) {
			out = append(out, pairs[i+1].(*Tensor))
		}
	}
	return out
}

// Div returns a / b (true division: integer inputs give Float32).
func (a *Tensor) Div(b *Tensor) *Tensor { return divOp(a, b, floatResult(ResultType(a, b))) }

// DivScalar returns a / s.
func (a *Tensor) DivScalar(s float64) *Tensor {
	dt := floatResult(scalarResultType(a, s))
	return divOp(a, scalarTensor(s, dt), dt)
}

func divOp(a, b *Tensor, dt DType) *Tensor {
	out := applyBinary("Div", a, b, dt, divKernel)
	if needsGrad(a, b) {
		record(out, "DivBackward0", []*Tensor{a, b}, savedIf(true, b, b.RequiresGrad(), a), func(g *Tensor) []*Tensor {
			var ga, gb *Tensor
			if a.RequiresGrad() {
				ga = gradFor(g.Div(b), a)
			}
			if b.RequiresGrad() {
				gb = gradFor(g.Neg().Mul(a).Div(b.Mul(b)), b)
			}
			return []*Tensor{ga, gb}
		})
	}
	return out
}

// Pow returns a raised to the scalar power e elementwise (a ** e).
func (a *Tensor) Pow(e float64) *Tensor {
	dt := scalarResultType(a, e)
	out := applyBinary("Pow", a, scalarTensor(e, dt), dt, powKernel)
	if needsGrad(a) {
		record(out, "PowBackward0", []*Tensor{a}, []*Tensor{a}, func(g *Tensor) []*Tensor {
			if e == 0 {
				return []*Tensor{ZerosLike(a)}
			}
			return []*Tensor{gradFor(g.Mul(a.Pow(e-1).MulScalar(e)), a)}
		})
	}
	return out
}

// PowTensor returns a raised to the power e elementwise, broadcasting.
func (a *Tensor) PowTensor(e *Tensor) *Tensor {
	dt := ResultType(a, e)
	out := applyBinary("Pow", a, e, dt, powKernel)
	if needsGrad(a, e) {
		record(out, "PowBackward1", []*Tensor{a, e}, []*Tensor{a, e, out}, func(g *Tensor) []*Tensor {
			var ga, ge *Tensor
			if a.RequiresGrad() {
				// d/da a^e = e a^(e-1), defined as 0 where e == 0 (even at a == 0).
				ga = gradFor(Where(e.EqScalar(0), ZerosLike(out), g.Mul(e.Mul(a.PowTensor(e.SubScalar(1))))), a)
			}
			if e.RequiresGrad() {
				// d/de a^e = a^e log a, defined as 0 where a == 0 and e >= 0.
				mask := a.EqScalar(0).LogicalAnd(e.GeScalar(0))
				ge = gradFor(Where(mask, ZerosLike(out), g.Mul(out).Mul(a.Log())), e)
			}
			return []*Tensor{ga, ge}
		})
	}
	return out
}
