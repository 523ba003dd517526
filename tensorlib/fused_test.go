package tensorlib

import (
	"errors"
	"math"
	"math/rand"
	"testing"
)

// Tests of the fused in-place ops (fused.go): the row kernels against the
// pure-Go reference, and the API's fast path and composed fallback against
// the composition of plain ops that defines their values.

// checkFusedKernels compares kernel set k with the pure-Go kernels bit for
// bit, at every length of kernelSizes and a few start offsets (so the
// vector loops meet every alignment and tail), with special values.
func checkFusedKernels(t *testing.T, name string, k fusedKernels) {
	t.Helper()
	rng := rand.New(rand.NewSource(21))
	ref := goFusedKernels
	for _, n := range kernelSizes {
		for off := 0; off < 3; off++ {
			d0 := toT[float32](randFloats(rng, n+off, true))
			b := toT[float32](randFloats(rng, n+off, true))
			c := toT[float32](randFloats(rng, n+off, true))
			v := float32(rng.NormFloat64())
			type kern struct {
				op       string
				got, ref func(d []float32)
			}
			for _, kk := range []kern{
				{"addScaled", func(d []float32) { k.addScaled32(d, b[off:], v) }, func(d []float32) { ref.addScaled32(d, b[off:], v) }},
				{"addcmul", func(d []float32) { k.addcmul32(d, b[off:], c[off:], v) }, func(d []float32) { ref.addcmul32(d, b[off:], c[off:], v) }},
				{"addcdiv", func(d []float32) { k.addcdiv32(d, b[off:], c[off:], v) }, func(d []float32) { ref.addcdiv32(d, b[off:], c[off:], v) }},
			} {
				got, want := append([]float32{}, d0...), append([]float32{}, d0...)
				kk.got(got[off:])
				kk.ref(want[off:])
				for i := range want {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("%s %s n=%d off=%d: [%d] = %v, want %v", name, kk.op, n, off, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestFusedKernelsInUse checks the kernels the API uses (assembly on
// AVX2/FMA machines) against the pure-Go ones; fused_amd64_test.go checks
// the assembly directly as well.
func TestFusedKernelsInUse(t *testing.T) {
	checkFusedKernels(t, "in use", fusedK)
}

// TestFusedGoKernelsRounding checks the pure-Go float32 kernels against
// their definition written out in float64 math: one rounding of the exact
// a + α·b and a + (v·b)·c.
func TestFusedGoKernelsRounding(t *testing.T) {
	rng := rand.New(rand.NewSource(22))
	for i := 0; i < 10000; i++ {
		a, b, c := float32(rng.NormFloat64()), float32(rng.NormFloat64()*1e-3), float32(rng.NormFloat64())
		v := float32(rng.Float64())
		d := []float32{a}
		addScaledGo32(d, []float32{b}, v)
		exact := float64(a) + float64(b)*float64(v) // exact: 48-bit product
		if d[0] != float32(exact) {
			t.Fatalf("addScaled(%v, %v, %v) = %v, want %v", a, b, v, d[0], float32(exact))
		}
		d[0] = a
		addcmulGo32(d, []float32{b}, []float32{c}, v)
		bv := b * v
		if w := float32(float64(a) + float64(bv)*float64(c)); d[0] != w {
			t.Fatalf("addcmul(%v, %v, %v, %v) = %v, want %v", a, b, c, v, d[0], w)
		}
	}
}

// fusedRef is the composition of plain ops that defines each fused op's
// values (the float32 fused multiply-adds computed in float64 and rounded
// once), applied out of place.
func fusedRef(op string, t, b, c *Tensor, v float64) *Tensor {
	f32 := t.dtype == Float32 && b.dtype == Float32 && (c == nil || c.dtype == Float32)
	var r *Tensor
	switch op {
	case "AddScaledInPlace":
		if f32 {
			r = t.To(Float64).Add(b.To(Float64).MulScalar(float64(float32(v)))).To(Float32)
		} else {
			r = t.Add(b.MulScalar(v))
		}
	case "AddcmulInPlace":
		bv := b.MulScalar(v)
		if f32 {
			r = t.To(Float64).Add(bv.To(Float64).Mul(c.To(Float64))).To(Float32)
		} else {
			r = t.Add(bv.Mul(c))
		}
	case "AddcdivInPlace":
		r = t.Add(b.MulScalar(v).Div(c))
	}
	return r.To(t.dtype)
}

// applyFused runs the named in-place op.
func applyFused(op string, t, b, c *Tensor, v float64) *Tensor {
	switch op {
	case "AddScaledInPlace":
		return t.AddScaledInPlace(b, v)
	case "AddcmulInPlace":
		return t.AddcmulInPlace(b, c, v)
	}
	return t.AddcdivInPlace(b, c, v)
}

var fusedOps = []string{"AddScaledInPlace", "AddcmulInPlace", "AddcdivInPlace"}

// sameTensorBits reports the first element where got and want differ.
func sameTensorBits(got, want *Tensor) (int, bool) {
	g, w := got.Float64s(), want.Float64s()
	for i := range w {
		if !sameBits(g[i], w[i]) {
			return i, false
		}
	}
	return 0, len(g) == len(w)
}

// TestFusedOpsLayouts checks each op against fusedRef on the fast path
// (contiguous, same shape and dtype) and on every fallback: broadcast,
// transposed and offset operands, a strided destination, mixed dtypes and
// an operand aliasing the destination.
func TestFusedOpsLayouts(t *testing.T) {
	g := NewGenerator(5)
	randT := func(dt DType, shape ...int) *Tensor {
		x := g.Randn(shape...).MulScalar(3)
		return x.To(dt)
	}
	type operands struct {
		name    string
		t, b, c func(dt DType) *Tensor
	}
	shapes := [][]int{{}, {1}, {7}, {8}, {33}, {5, 13}, {3, 4, 17}, {2, 1000}}
	for _, dt := range []DType{Float32, Float64} {
		for _, sh := range shapes {
			sh := sh
			cases := []operands{
				{"contiguous", func(dt DType) *Tensor { return randT(dt, sh...) }, func(dt DType) *Tensor { return randT(dt, sh...) }, func(dt DType) *Tensor { return randT(dt, sh...).Abs().AddScalar(0.5) }},
			}
			if len(sh) >= 1 {
				last := sh[len(sh)-1]
				cases = append(cases,
					operands{"broadcast", func(dt DType) *Tensor { return randT(dt, sh...) }, func(dt DType) *Tensor { return randT(dt, last) }, func(dt DType) *Tensor { return randT(dt, 1).Abs().AddScalar(0.5) }},
					operands{"offset", func(dt DType) *Tensor { return randT(dt, sh...) }, func(dt DType) *Tensor { return randT(dt, append([]int{2}, sh...)...).Narrow(0, 1, 1).Reshape(sh...) }, func(dt DType) *Tensor { return randT(dt, sh...).Abs().AddScalar(0.5) }},
					operands{"mixed dtypes", func(dt DType) *Tensor { return randT(dt, sh...) }, func(DType) *Tensor { return randT(Float64, sh...) }, func(DType) *Tensor { return randT(Float32, sh...).Abs().AddScalar(0.5) }},
				)
			}
			if len(sh) >= 2 {
				tr := append([]int{}, sh...)
				tr[0], tr[1] = tr[1], tr[0]
				cases = append(cases,
					operands{"transposed operand", func(dt DType) *Tensor { return randT(dt, sh...) }, func(dt DType) *Tensor { return randT(dt, tr...).Transpose(0, 1) }, func(dt DType) *Tensor { return randT(dt, tr...).Transpose(0, 1).Abs().AddScalar(0.5) }},
					operands{"strided destination", func(dt DType) *Tensor { return randT(dt, tr...).Transpose(0, 1) }, func(dt DType) *Tensor { return randT(dt, sh...) }, func(dt DType) *Tensor { return randT(dt, sh...).Abs().AddScalar(0.5) }},
				)
			}
			for _, cs := range cases {
				for _, op := range fusedOps {
					for _, v := range []float64{1, -1, 0.1, -3.7e-3} {
						x, b, c := cs.t(dt), cs.b(dt), cs.c(dt)
						want := fusedRef(op, x, b, c, v)
						ver := x.Version()
						if got := applyFused(op, x, b, c, v); got != x {
							t.Fatalf("%s returned a new tensor", op)
						}
						if i, ok := sameTensorBits(x, want); !ok {
							t.Fatalf("%v %v %s %s v=%v: [%d] = %v, want %v", dt, sh, cs.name, op, v, i, x.Float64s()[i], want.Float64s()[i])
						}
						if x.Version() != ver+1 {
							t.Fatalf("%s %s: version %d, want %d", cs.name, op, x.Version(), ver+1)
						}
					}
				}
			}
			// An operand aliasing the destination exactly (the fast path
			// reads each element before writing it).
			for _, op := range fusedOps {
				x := randT(dt, sh...).Abs().AddScalar(0.5)
				want := fusedRef(op, x, x, x, 0.25)
				applyFused(op, x, x, x, 0.25)
				if i, ok := sameTensorBits(x, want); !ok {
					t.Fatalf("%v %v alias %s: [%d] = %v, want %v", dt, sh, op, i, x.Float64s()[i], want.Float64s()[i])
				}
			}
		}
	}
}

// TestFusedOpsOverlap checks that an operand overlapping the destination
// at another offset gives the out-of-place result (the values before the
// op), not a partially updated one.
func TestFusedOpsOverlap(t *testing.T) {
	base := Arange(0, 17).To(Float32)
	x, b := base.Narrow(0, 1, 16), base.Narrow(0, 0, 16)
	want := fusedRef("AddScaledInPlace", x.Clone(), b.Clone(), nil, 0.5)
	x.AddScaledInPlace(b, 0.5)
	if i, ok := sameTensorBits(x, want); !ok {
		t.Fatalf("[%d] = %v, want %v", i, x.Float64s()[i], want.Float64s()[i])
	}
}

// TestFusedOpsParallel runs the fast path on tensors large enough to be
// split between threads.
func TestFusedOpsParallel(t *testing.T) {
	g := NewGenerator(6)
	n := 3*cheapParallelMin + 5
	for _, op := range fusedOps {
		x, b, c := g.Randn(n), g.Randn(n), g.Randn(n).Abs().AddScalar(0.5)
		want := fusedRef(op, x, b, c, 0.3)
		applyFused(op, x, b, c, 0.3)
		if i, ok := sameTensorBits(x, want); !ok {
			t.Fatalf("%s: [%d] = %v, want %v", op, i, x.Float64s()[i], want.Float64s()[i])
		}
	}
}

// TestFusedOpsGrad checks the autograd fallback: gradients flow to the
// destination's history and to b and c as for t + v·b·c and t + v·b/c.
func TestFusedOpsGrad(t *testing.T) {
	for _, dt := range []DType{Float32, Float64} {
		g := NewGenerator(7)
		for _, op := range fusedOps {
			w := g.Randn(3, 4).To(dt).SetRequiresGrad(true)
			b := g.Randn(3, 4).To(dt).SetRequiresGrad(true)
			c := g.Randn(4).Abs().AddScalar(0.5).To(dt).SetRequiresGrad(true)
			const v = 0.75
			x := w.MulScalar(2)
			applyFused(op, x, b, c, v)
			if x.GradFn() == nil {
				t.Fatalf("%s: no gradient function recorded", op)
			}
			x.Sum().Backward()
			bv, cv := b.Detach(), c.Detach().Expand(3, 4)
			var wantB, wantC *Tensor
			switch op {
			case "AddScaledInPlace":
				wantB = OnesLike(bv).MulScalar(v)
			case "AddcmulInPlace":
				wantB, wantC = cv.MulScalar(v), bv.MulScalar(v).SumDim(0, false)
			case "AddcdivInPlace":
				wantB, wantC = OnesLike(cv).MulScalar(v).Div(cv), bv.MulScalar(-v).Div(cv.Mul(cv)).SumDim(0, false)
			}
			tol := 1e-5
			if dt == Float64 {
				tol = 1e-12
			}
			if !closeTo(w.Grad(), FullLike(w, 2), tol) {
				t.Fatalf("%v %s: grad of the destination's input %v, want 2", dt, op, w.Grad())
			}
			if !closeTo(b.Grad(), wantB, tol) {
				t.Fatalf("%v %s: grad b %v, want %v", dt, op, b.Grad(), wantB)
			}
			if wantC != nil && !closeTo(c.Grad(), wantC, tol) {
				t.Fatalf("%v %s: grad c %v, want %v", dt, op, c.Grad(), wantC)
			}
		}
	}
}

// TestFusedOpsNoGradLeaf is the optimizer's use: a leaf that requires grad
// updated under NoGrad takes the fast path and records nothing.
func TestFusedOpsNoGradLeaf(t *testing.T) {
	g := NewGenerator(8)
	p := g.Randn(40).SetRequiresGrad(true)
	b, c := g.Randn(40), g.Randn(40).Abs().AddScalar(1)
	want := fusedRef("AddcdivInPlace", p.Detach(), b, c, -0.01)
	NoGrad(func() { p.AddcdivInPlace(b, c, -0.01) })
	if p.GradFn() != nil || !p.RequiresGrad() {
		t.Fatalf("the update changed the leaf's autograd state")
	}
	if i, ok := sameTensorBits(p, want); !ok {
		t.Fatalf("[%d] = %v, want %v", i, p.Float64s()[i], want.Float64s()[i])
	}
}

// TestFusedOpsErrors checks the usage errors: operands that do not
// broadcast to the destination, a leaf requiring grad, integer addcdiv.
func TestFusedOpsErrors(t *testing.T) {
	x := Zeros(2, 3)
	cases := []struct {
		name, op string
		f        func()
		msg      string
	}{
		{"b does not broadcast", "AddScaledInPlace", func() { x.AddScaledInPlace(Zeros(2), 2) }, "doesn't match the broadcast shape"},
		{"b larger than t", "AddcmulInPlace", func() { Zeros(3).AddcmulInPlace(Zeros(2, 3), Zeros(3), 1) }, "doesn't match the broadcast shape"},
		{"c does not broadcast", "AddcdivInPlace", func() { x.AddcdivInPlace(Zeros(2, 3), Zeros(4), 1) }, "doesn't match the broadcast shape"},
		{"leaf requires grad", "AddcmulInPlace", func() { Zeros(3).SetRequiresGrad(true).AddcmulInPlace(Ones(3), Ones(3), 1) }, "leaf Variable"},
		{"integer addcdiv", "AddcdivInPlace", func() { x.AddcdivInPlace(FromInt64s([]int64{1, 2, 3}), FromInt64s([]int64{1, 2, 3}), 1) }, "integer division"},
	}
	for _, tc := range cases {
		err := Catch(tc.f)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: got %v, want an *Error", tc.name, err)
		}
		if e.Op != tc.op || !contains(e.Msg, tc.msg) || len(e.Shapes) == 0 {
			t.Fatalf("%s: got %q (op %q), want op %s and %q", tc.name, e.Error(), e.Op, tc.op, tc.msg)
		}
	}
}

// contains reports whether s contains sub.
func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// closeTo reports whether got and want agree within tol, relative to
// max(1, |want|).
func closeTo(got, want *Tensor, tol float64) bool {
	g, w := got.Float64s(), want.Float64s()
	if len(g) != len(w) {
		return false
	}
	for i := range w {
		if math.Abs(g[i]-w[i]) > tol*math.Max(1, math.Abs(w[i])) {
			return false
		}
	}
	return true
}

// TestInPlaceFastPaths checks the one-pass in-place arithmetic
// (inplace_fast.go) against the out-of-place ops bit for bit, on sizes
// around the vector widths, one beyond the non-temporal-store threshold,
// and on a strided destination (the copying fallback).
func TestInPlaceFastPaths(t *testing.T) {
	g := NewGenerator(9)
	ops := []struct {
		name    string
		inPlace func(x, b *Tensor) *Tensor
		ref     func(x, b *Tensor) *Tensor
	}{
		{"Add", (*Tensor).AddInPlace, (*Tensor).Add},
		{"Sub", (*Tensor).SubInPlace, (*Tensor).Sub},
		{"Mul", (*Tensor).MulInPlace, (*Tensor).Mul},
		{"Div", (*Tensor).DivInPlace, (*Tensor).Div},
		{"AddScalar", func(x, _ *Tensor) *Tensor { return x.AddScalarInPlace(0.3) }, func(x, _ *Tensor) *Tensor { return x.AddScalar(0.3) }},
		{"MulScalar", func(x, _ *Tensor) *Tensor { return x.MulScalarInPlace(0.9) }, func(x, _ *Tensor) *Tensor { return x.MulScalar(0.9) }},
		{"DivScalar", func(x, _ *Tensor) *Tensor { return x.DivScalarInPlace(0.7) }, func(x, _ *Tensor) *Tensor { return x.DivScalar(0.7) }},
		{"Sqrt", func(x, _ *Tensor) *Tensor { return x.SqrtInPlace() }, func(x, _ *Tensor) *Tensor { return x.Sqrt() }},
		{"Fill", func(x, _ *Tensor) *Tensor { return x.FillInPlace(-2.5) }, func(x, _ *Tensor) *Tensor { return FullLike(x, -2.5) }},
		{"FillNegZero", func(x, _ *Tensor) *Tensor { return x.FillInPlace(math.Copysign(0, -1)) }, func(x, _ *Tensor) *Tensor { return FullLike(x, math.Copysign(0, -1)) }},
		{"Zero", func(x, _ *Tensor) *Tensor { return x.ZeroInPlace() }, func(x, _ *Tensor) *Tensor { return ZerosLike(x) }},
	}
	sizes := []int{0, 1, 7, 8, 9, 33, 1000, bigBytes/4 + 3}
	for _, dt := range []DType{Float32, Float64} {
		for _, n := range sizes {
			for _, op := range ops {
				for _, strided := range []bool{false, true} {
					if strided && n > 1000 {
						continue
					}
					var x *Tensor
					if strided {
						x = g.Randn(n, 2).To(dt).Select(1, 0)
					} else {
						x = g.Randn(n).To(dt)
					}
					b := g.Randn(n).To(dt)
					want := op.ref(x, b)
					ver := x.Version()
					op.inPlace(x, b)
					if i, ok := sameTensorBits(x, want); !ok {
						t.Fatalf("%v n=%d strided=%v %s: [%d] = %v, want %v", dt, n, strided, op.name, i, x.Float64s()[i], want.Float64s()[i])
					}
					if x.Version() != ver+1 {
						t.Fatalf("%s: version %d, want %d", op.name, x.Version(), ver+1)
					}
				}
			}
		}
	}
}

// TestInPlaceBinaryBroadcast checks the one-pass in-place binary ops with
// operands broadcast or strided to the destination's shape, and with an
// operand overlapping the destination (the copying fallback), against
// the out-of-place ops.
func TestInPlaceBinaryBroadcast(t *testing.T) {
	g := NewGenerator(10)
	ops := []struct {
		name    string
		inPlace func(x, b *Tensor) *Tensor
		ref     func(x, b *Tensor) *Tensor
	}{
		{"Add", (*Tensor).AddInPlace, (*Tensor).Add},
		{"Sub", (*Tensor).SubInPlace, (*Tensor).Sub},
		{"Mul", (*Tensor).MulInPlace, (*Tensor).Mul},
		{"Div", (*Tensor).DivInPlace, (*Tensor).Div},
	}
	operands := []struct {
		name string
		b    func(dt DType) *Tensor
	}{
		{"row", func(dt DType) *Tensor { return g.Randn(19).To(dt) }},
		{"column", func(dt DType) *Tensor { return g.Randn(13, 1).To(dt) }},
		{"scalar tensor", func(dt DType) *Tensor { return g.Randn().To(dt) }},
		{"transposed", func(dt DType) *Tensor { return g.Randn(19, 13).To(dt).T() }},
		{"stepped", func(dt DType) *Tensor { return g.Randn(13, 38).To(dt).Slice(1, 0, 38, 2) }},
	}
	for _, dt := range []DType{Float32, Float64} {
		for _, op := range ops {
			for _, o := range operands {
				x, b := g.Randn(13, 19).To(dt), o.b(dt)
				want := op.ref(x, b)
				op.inPlace(x, b)
				if i, ok := sameTensorBits(x, want); !ok {
					t.Fatalf("%v %s %s: [%d] = %v, want %v", dt, op.name, o.name, i, x.Float64s()[i], want.Float64s()[i])
				}
			}
			// b overlapping x one element earlier (an in-order pass would
			// read elements it has already written).
			base := g.Randn(40).To(dt)
			x, b := base.Narrow(0, 1, 39), base.Narrow(0, 0, 39)
			want := op.ref(x, b)
			op.inPlace(x, b)
			if i, ok := sameTensorBits(x, want); !ok {
				t.Fatalf("%v %s overlapping: [%d] = %v, want %v", dt, op.name, i, x.Float64s()[i], want.Float64s()[i])
			}
		}
	}
}
