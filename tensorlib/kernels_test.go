package tensorlib

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// Tests of the fast elementwise and reduction kernels against the plain
// reference implementations: the pure-Go kernels and the closure-based
// mapBinary/mapUnary for every layout, the lane-by-lane sums of
// torchsum_ref_test.go, and float64 math for the float32 SIMD functions.

// kernelSizes covers empty, short, vector-tail and long rows.
var kernelSizes = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 257, 1000, 4099}

// randFloats returns n values of varied magnitude and sign, with a few
// specials (zeros of both signs, infinities, NaN) when specials is set.
func randFloats(rng *rand.Rand, n int, specials bool) []float64 {
	out := make([]float64, n)
	sp := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1, -1}
	for i := range out {
		switch {
		case specials && rng.Intn(16) == 0:
			out[i] = sp[rng.Intn(len(sp))]
		default:
			out[i] = rng.NormFloat64() * math.Pow(10, float64(rng.Intn(7)-3))
		}
	}
	return out
}

func toT[T float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// sameBits reports whether a and b are equal, NaN matching NaN.
func sameBits[T float](a, b T) bool {
	return a == b && math.Signbit(float64(a)) == math.Signbit(float64(b)) || a != a && b != b
}

// TestBinaryRowKernels checks every binary row kernel in use (assembly on
// AVX2 machines) against the pure-Go reference bit for bit, at every
// alignment of the vector loop.
func TestBinaryRowKernels(t *testing.T) {
	testBinaryRowKernels(t, &kern32, goKernels[float32]())
	testBinaryRowKernels(t, &kern64, goKernels[float64]())
	if kern32.big != nil {
		testBinaryRowKernels(t, kern32.big, goKernels[float32]())
		testBinaryRowKernels(t, kern64.big, goKernels[float64]())
	}
}

func testBinaryRowKernels[T float](t *testing.T, k *vecKernels[T], ref vecKernels[T]) {
	rng := rand.New(rand.NewSource(1))
	for op := binAdd; op < numBinOps; op++ {
		for _, n := range kernelSizes {
			for _, off := range []int{0, 1, 3} {
				a := toT[T](randFloats(rng, n+off, true))[off:]
				b := toT[T](randFloats(rng, n+off, true))[off:]
				s := T(rng.NormFloat64())
				check := func(kind string, got, want []T) {
					t.Helper()
					for i := range want {
						if !sameBits(got[i], want[i]) {
							t.Fatalf("%T op %d %s n=%d off=%d: [%d] = %v, want %v (a %v, b %v, s %v)", got[0], op, kind, n, off, i, got[i], want[i], a[i], b[i], s)
						}
					}
				}
				got, want := make([]T, n+off)[off:], make([]T, n)
				if k.vv[op] != nil {
					k.vv[op](got, a, b)
					for i := range want {
						want[i] = binScalar(op, a[i], b[i])
					}
					check("vv", got, want)
					if ref.vv[op] != nil {
						ref.vv[op](want, a, b)
						check("vv/go", got, want)
					}
				}
				if k.vs[op] != nil {
					for _, s := range []T{s, 2, 0.5} {
						k.vs[op](got, a, s)
						for i := range want {
							want[i] = binScalar(op, a[i], s)
						}
						check("vs", got, want)
					}
				}
				if k.sv[op] != nil {
					k.sv[op](got, s, a)
					for i := range want {
						want[i] = binScalar(op, s, a[i])
					}
					check("sv", got, want)
				}
				// In place (dst is a), as the tail handling must allow.
				if k.vv[op] != nil {
					c := append([]T{}, a...)
					k.vv[op](c, c, b)
					for i := range want {
						want[i] = binScalar(op, a[i], b[i])
					}
					check("vv in place", c, want)
				}
			}
		}
	}
}

// ulps returns how many float32 units in the last place got is from the
// exact value want (NaN and infinities must match exactly).
func ulps(got float32, want float64) float64 {
	switch {
	case math.IsNaN(want):
		if got != got {
			return 0
		}
		return math.Inf(1)
	case math.Abs(want) > math.MaxFloat32:
		if float64(got) == want || float64(got) == math.Copysign(math.Inf(1), want) {
			return 0
		}
		return math.Inf(1)
	}
	a := math.Abs(want)
	ulp := math.Ldexp(1, -149) // subnormal spacing
	if a >= 0x1p-126 {
		_, e := math.Frexp(a) // a = f·2^e, f in [0.5, 1)
		ulp = math.Ldexp(1, e-24)
	}
	return math.Abs(float64(got)-want) / ulp
}

// unaryRefs are the exact (float64) functions of the float32 unary ops
// and the error the kernels in use may have, in ulps: 0.5 for correctly
// rounded kernels, more for the SIMD polynomials, whose largest errors
// over all 2³² float32 inputs were measured as 1.01 (exp), 0.83 (log),
// 1.33 (tanh) and 1.48 (sigmoid) ulp.
var unaryRefs = []struct {
	op   unOp
	name string
	f    func(float64) float64
	ulps float64
}{
	{unNeg, "neg", func(x float64) float64 { return -x }, 0},
	{unAbs, "abs", math.Abs, 0},
	{unReLU, "relu", func(x float64) float64 {
		if x > 0 || x != x {
			return x
		}
		return 0
	}, 0},
	{unSqrt, "sqrt", math.Sqrt, 0.5},
	{unRsqrt, "rsqrt", func(x float64) float64 { return 1 / math.Sqrt(x) }, 0.51},
	{unExp, "exp", math.Exp, 1.05},
	{unLog, "log", math.Log, 0.9},
	{unTanh, "tanh", math.Tanh, 1.4},
	{unSigmoid, "sigmoid", sigmoid, 1.5},
	{unGELU, "gelu", gelu, 0.51},
}

// unaryInputs returns float32 inputs covering each op's interesting
// ranges: random bit patterns (every binade, subnormals, specials) and
// values around where the SIMD algorithms switch branches.
func unaryInputs(rng *rand.Rand, n int) []float32 {
	out := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.625, -0.625, 88.72283, 88.72284, 89, -87.33655, -87.34, -103.9, -104, -200, 200,
		1e-45, -1e-45, 1.1754942e-38, 1.1754944e-38, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0.70710677, 0.7071068, 1.4142135}
	for len(out) < n {
		switch rng.Intn(3) {
		case 0:
			out = append(out, math.Float32frombits(rng.Uint32()))
		case 1:
			out = append(out, float32(rng.NormFloat64()*4))
		default:
			out = append(out, float32((rng.Float64()*2-1)*100))
		}
	}
	return out
}

// TestUnaryRowKernels checks the float32 unary kernels in use against
// float64 math within each op's error bound (exact for the others), and
// the float64 ones (pure Go) bit for bit against float64 math.
func TestUnaryRowKernels(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	in := unaryInputs(rng, 1<<17)
	out := make([]float32, len(in))
	tables := []*vecKernels[float32]{&kern32}
	if kern32.big != nil {
		tables = append(tables, kern32.big)
	}
	for _, k := range tables {
		for _, r := range unaryRefs {
			for _, off := range []int{0, 1, 5} {
				d := make([]float32, len(in)+off)[off:]
				k.un[r.op](d, in)
				kern32.un[r.op](out, in)
				for i := range d {
					if !sameBits(d[i], out[i]) {
						t.Fatalf("%s big=%v off=%d: [%d] = %v, want %v", r.name, k != &kern32, off, i, d[i], out[i])
					}
				}
			}
		}
	}
	for _, r := range unaryRefs {
		kern32.un[r.op](out, in)
		worst, at := 0.0, float32(0)
		for i, x := range in {
			want := r.f(float64(x))
			d := ulps(out[i], want)
			if r.ulps == 0 {
				if !sameBits(out[i], float32(want)) {
					t.Errorf("%s(%v) = %v, want %v", r.name, x, out[i], float32(want))
				}
				continue
			}
			if d > worst {
				worst, at = d, x
			}
		}
		if worst > r.ulps {
			t.Errorf("%s: error %.3f ulp at %v, above %.2f", r.name, worst, at, r.ulps)
		}
		// Every tail length, and in place.
		for _, n := range kernelSizes[:12] {
			src := append([]float32{}, in[100:100+n]...)
			want := make([]float32, n)
			kern32.un[r.op](want, src)
			kern32.un[r.op](src, src)
			for i := range want {
				if !sameBits(src[i], want[i]) {
					t.Fatalf("%s in place n=%d: [%d] = %v, want %v", r.name, n, i, src[i], want[i])
				}
			}
		}
	}
	in64 := make([]float64, len(in))
	for i, x := range in {
		in64[i] = float64(x) * (1 + 1e-9)
	}
	out64 := make([]float64, len(in))
	for _, r := range unaryRefs {
		kern64.un[r.op](out64, in64)
		for i, x := range in64 {
			if want := r.f(x); !sameBits(out64[i], want) {
				t.Fatalf("float64 %s(%v) = %v, want %v", r.name, x, out64[i], want)
			}
		}
	}
}

// layout is a random view of a random storage: a shape, strides (possibly
// negative-free permutations, steps and zero broadcast strides) and an
// offset.
type layout struct {
	shape, strides []int
	offset, size   int
}

// randLayout returns a random view with numel elements' shape rank up to 4,
// permuted, stepped or broadcast.
func randLayout(rng *rand.Rand, shape []int, broadcast bool) layout {
	nd := len(shape)
	perm := rng.Perm(nd)
	step := make([]int, nd)
	for i := range step {
		step[i] = 1 + rng.Intn(2)
	}
	// Lay out the dimensions in perm order with gaps.
	strides := make([]int, nd)
	acc := 1
	for i := nd - 1; i >= 0; i-- {
		d := perm[i]
		strides[d] = acc * step[d]
		acc *= shape[d]*step[d] + rng.Intn(2)
	}
	if broadcast {
		for d := range strides {
			if rng.Intn(3) == 0 {
				strides[d] = 0
			}
		}
	}
	off := rng.Intn(5)
	size := off + 1
	for d := range shape {
		if shape[d] > 0 {
			size += (shape[d] - 1) * strides[d]
		}
	}
	return layout{shape: shape, strides: strides, offset: off, size: size}
}

func randShape(rng *rand.Rand) []int {
	nd := rng.Intn(5)
	shape := make([]int, nd)
	for i := range shape {
		shape[i] = []int{1, 2, 3, 5, 8, 17, 33}[rng.Intn(7)]
	}
	return shape
}

// TestEwBinaryLayouts checks ewBinary against mapBinary with the scalar
// op on random shapes, strides, offsets and broadcasts, at 1 and 2
// threads' worth of chunking (a tiny chunk size forces the parallel path).
func TestEwBinaryLayouts(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for trial := 0; trial < 400; trial++ {
		shape := randShape(rng)
		la, lb := randLayout(rng, shape, true), randLayout(rng, shape, true)
		a32 := toT[float32](randFloats(rng, la.size, false))
		b32 := toT[float32](randFloats(rng, lb.size, false))
		op := binOp(1 + rng.Intn(int(numBinOps)-1))
		n := numelOf(shape)
		got, want := make([]float32, n), make([]float32, n)
		ewBinary(&kern32, op, got, a32, la.strides, la.offset, b32, lb.strides, lb.offset, shape)
		mapBinary(want, a32, la.strides, la.offset, b32, lb.strides, lb.offset, shape, func(x, y float32) float32 { return binScalar(op, x, y) })
		for i := range want {
			if !sameBits(got[i], want[i]) {
				t.Fatalf("trial %d op %d shape %v strides %v/%v: [%d] = %v, want %v", trial, op, shape, la.strides, lb.strides, i, got[i], want[i])
			}
		}
		cop := cmpOp(1 + rng.Intn(int(cmpGe)))
		gb, wb := make([]bool, n), make([]bool, n)
		ewCompare(cop, gb, a32, la.strides, la.offset, b32, lb.strides, lb.offset, shape)
		cmp := []func(x, y float32) bool{nil, eqKernel.f32, neKernel.f32, ltKernel.f32, leKernel.f32, gtKernel.f32, geKernel.f32}[cop]
		mapBinary(wb, a32, la.strides, la.offset, b32, lb.strides, lb.offset, shape, cmp)
		for i := range wb {
			if gb[i] != wb[i] {
				t.Fatalf("trial %d compare %d shape %v: [%d] = %v, want %v", trial, cop, shape, i, gb[i], wb[i])
			}
		}
		a64, b64 := toT[float64](randFloats(rng, la.size, false)), toT[float64](randFloats(rng, lb.size, false))
		g64, w64 := make([]float64, n), make([]float64, n)
		ewBinary(&kern64, op, g64, a64, la.strides, la.offset, b64, lb.strides, lb.offset, shape)
		mapBinary(w64, a64, la.strides, la.offset, b64, lb.strides, lb.offset, shape, func(x, y float64) float64 { return binScalar(op, x, y) })
		for i := range w64 {
			if !sameBits(g64[i], w64[i]) {
				t.Fatalf("float64 trial %d op %d shape %v: [%d] = %v, want %v", trial, op, shape, i, g64[i], w64[i])
			}
		}
	}
}

// TestForRange checks that forRange visits every position of every
// sub-range exactly once with the right offsets.
func TestForRange(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for trial := 0; trial < 300; trial++ {
		shape := randShape(rng)
		la, lb := randLayout(rng, shape, true), randLayout(rng, shape, false)
		n := numelOf(shape)
		var wantA, wantB []int
		forEachRow(shape, [][]int{la.strides, lb.strides}, []int{la.offset, lb.offset}, func(offs, inner []int, m int) {
			for i := 0; i < m; i++ {
				wantA = append(wantA, offs[0]+i*inner[0])
				wantB = append(wantB, offs[1]+i*inner[1])
			}
		})
		lo := rng.Intn(n + 1)
		hi := lo + rng.Intn(n-lo+1)
		next := lo
		forRange(shape, la.strides, lb.strides, la.offset, lb.offset, lo, hi, func(pos, o0, s0, o1, s1, m int) {
			if pos != next {
				t.Fatalf("shape %v [%d,%d): run at %d, want %d", shape, lo, hi, pos, next)
			}
			for i := 0; i < m; i++ {
				if o0+i*s0 != wantA[pos+i] || o1+i*s1 != wantB[pos+i] {
					t.Fatalf("shape %v strides %v/%v [%d,%d): position %d at %d/%d, want %d/%d", shape, la.strides, lb.strides, lo, hi, pos+i, o0+i*s0, o1+i*s1, wantA[pos+i], wantB[pos+i])
				}
			}
			next = pos + m
		})
		if next != hi && lo < hi {
			t.Fatalf("shape %v [%d,%d): stopped at %d", shape, lo, hi, next)
		}
	}
}

// TestEwUnaryLayouts checks ewUnary against the row kernel applied to a
// gathered copy, on random strided views (contiguous rows take the kernel
// directly, strided ones go through the output buffer).
func TestEwUnaryLayouts(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for trial := 0; trial < 200; trial++ {
		shape := randShape(rng)
		l := randLayout(rng, shape, false)
		src := toT[float32](randFloats(rng, l.size, true))
		op := unOp(1 + rng.Intn(int(numUnOps)-1))
		n := numelOf(shape)
		got, want := make([]float32, n), gather(src, shape, l.strides, l.offset)
		ewUnary(&kern32, op, got, src, shape, l.strides, l.offset)
		kern32.un[op](want, want)
		for i := range want {
			if !sameBits(got[i], want[i]) {
				t.Fatalf("trial %d op %d shape %v strides %v: [%d] = %v, want %v", trial, op, shape, l.strides, i, got[i], want[i])
			}
		}
	}
}

// TestParallelForLarge runs the parallel paths on tensors above the
// thresholds through the public API and compares with the serial kernels.
func TestParallelForLarge(t *testing.T) {
	g := NewGenerator(7)
	n := cheapParallelMin*2 + 13
	a, b := g.Randn(n), g.Randn(n)
	got := a.Mul(b).Float32s()
	av, bv := a.Float32s(), b.Float32s()
	for i := range got {
		if got[i] != av[i]*bv[i] {
			t.Fatalf("Mul [%d] = %v, want %v", i, got[i], av[i]*bv[i])
		}
	}
	e := a.Tanh().Float32s()
	want := make([]float32, n)
	kern32.un[unTanh](want, av)
	for i := range e {
		if e[i] != want[i] {
			t.Fatalf("Tanh [%d] = %v, want %v", i, e[i], want[i])
		}
	}
}

// TestTorchSumFast checks the vectorised cascade sums against the
// lane-by-lane reference bit for bit, for rows of every length class
// (below one vector, a few vectors, level boundaries, the two-thread
// split) and for column sums of narrow and wide matrices.
func TestTorchSumFast(t *testing.T) {
	t.Run("in use", testTorchSumFast)
	t.Run("pure Go", func(t *testing.T) {
		withGoKernels(t)
		testTorchSumFast(t)
	})
}

// withGoKernels switches to the pure-Go kernels until the test ends.
func withGoKernels(t *testing.T) {
	k32, k64, s64, p32, c1, c2 := kern32, kern64, sumBlock64, pool2x2Plane32, cvtF32F64, cvtF64F32
	kern32, kern64, sumBlock64, pool2x2Plane32 = goKernels[float32](), goKernels[float64](), sumBlock64Go, pool2x2PlaneGo
	cvtF32F64, cvtF64F32 = cvtGo[float32, float64], cvtGo[float64, float32]
	t.Cleanup(func() {
		kern32, kern64, sumBlock64, pool2x2Plane32, cvtF32F64, cvtF64F32 = k32, k64, s64, p32, c1, c2
	})
}

// TestPureGoKernelsAPI runs ops through the API with the pure-Go kernels
// (what non-AVX2 machines run) and with the kernels in use, and compares:
// bit for bit where both are exact, within the SIMD functions' error
// otherwise.
func TestPureGoKernelsAPI(t *testing.T) {
	g := NewGenerator(11)
	a, b := g.Randn(33, 65), g.Randn(65)
	a64 := a.To(Float64)
	ops := []struct {
		name  string
		f     func() *Tensor
		exact bool
	}{
		{"add", func() *Tensor { return a.Add(b) }, true},
		{"sub", func() *Tensor { return b.Sub(a) }, true},
		{"mul", func() *Tensor { return a.T().Mul(a.T()) }, true},
		{"div", func() *Tensor { return a.DivScalar(3) }, true},
		{"rdiv", func() *Tensor { return Scalar(2).Div(a) }, true},
		{"add64", func() *Tensor { return a64.Add(a64.T().T()) }, true},
		{"relu", func() *Tensor { return a.ReLU() }, true},
		{"sqrt", func() *Tensor { return a.Abs().Sqrt() }, true},
		{"neg", func() *Tensor { return a.Narrow(1, 1, 30).Neg() }, true},
		{"sum", func() *Tensor { return a.SumDim(0, false) }, true},
		{"to64", func() *Tensor { return a.Mul(a).To(Float64) }, true},
		{"to32", func() *Tensor { return a64.MulScalar(1.0 / 3).To(Float32) }, true},
		{"mean", func() *Tensor { return a.Mean() }, true},
		{"exp", func() *Tensor { return a.Exp() }, false},
		{"log", func() *Tensor { return a.Abs().Log() }, false},
		{"tanh", func() *Tensor { return a.Tanh() }, false},
		{"sigmoid", func() *Tensor { return a.Sigmoid() }, false},
		{"softmax", func() *Tensor { return a.Softmax(1) }, false},
		{"logsoftmax", func() *Tensor { return a.LogSoftmax(0) }, false},
	}
	want := make([][]float64, len(ops))
	for i, op := range ops {
		want[i] = op.f().Float64s()
	}
	withGoKernels(t)
	for i, op := range ops {
		got := op.f().Float64s()
		for j := range got {
			w, gv := want[i][j], got[j]
			ok := gv == w || gv != gv && w != w
			if !op.exact {
				ok = ok || math.Abs(gv-w) <= 4e-7*math.Abs(w)+1e-7
			}
			if !ok {
				t.Fatalf("%s [%d]: pure Go %v, in use %v", op.name, j, gv, w)
			}
		}
	}
}

func testTorchSumFast(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	lengths := []int{0, 1, 5, 15, 16, 17, 31, 63, 64, 65, 127, 128, 129, 1000, 1023, 1024, 1025, 4096 + 17, 65536*4 + 64*3 + 5, sumSplitMin, sumSplitMin + 64*17 + 3, 3*sumSplitMin + 12345}
	for _, n := range lengths {
		x := toT[float32](randFloats(rng, n, false))
		want := torchSumContiguousRef(x)
		// One thread, and the row split between 2 and 3 threads.
		for _, procs := range []int{1, 2, 3} {
			prev := runtime.GOMAXPROCS(procs)
			got := torchSumContiguous(x)
			runtime.GOMAXPROCS(prev)
			if !sameBits(got, want) {
				t.Errorf("sum of %d on %d threads: %v, want %v", n, procs, got, want)
			}
		}
	}
	for _, shape := range [][2]int{{1, 1}, {3, 2}, {5, 4}, {7, 15}, {17, 16}, {33, 64}, {128, 256}, {129, 70}, {300, 10}, {1000, 130}, {4097, 65}} {
		rows, cols := shape[0], shape[1]
		x := toT[float32](randFloats(rng, rows*cols, false))
		got, want := torchSumColumns(x, rows, cols), torchSumColumnsRef(x, rows, cols)
		for j := range want {
			if !sameBits(got[j], want[j]) {
				t.Fatalf("column sums %dx%d: [%d] = %v, want %v", rows, cols, j, got[j], want[j])
			}
		}
	}
}

// TestSumAPIFast checks Sum, SumDim and Mean through the API on layouts
// that take each path against the reference.
func TestSumAPIFast(t *testing.T) {
	g := NewGenerator(8)
	x := g.Randn(37, 70)
	xs := x.Float32s()
	rows := x.SumDim(1, false).Float32s()
	for r := 0; r < 37; r++ {
		if want := torchSumContiguousRef(xs[r*70 : (r+1)*70]); rows[r] != want {
			t.Fatalf("SumDim(1)[%d] = %v, want %v", r, rows[r], want)
		}
	}
	cols := x.SumDim(0, false).Float32s()
	want := torchSumColumnsRef(xs, 37, 70)
	for j := range want {
		if cols[j] != want[j] {
			t.Fatalf("SumDim(0)[%d] = %v, want %v", j, cols[j], want[j])
		}
	}
	tr := x.T().SumDim(0, false).Float32s() // strided: gathered rows
	for r := 0; r < 37; r++ {
		if w := torchSumContiguousRef(xs[r*70 : (r+1)*70]); tr[r] != w {
			t.Fatalf("T().SumDim(0)[%d] = %v, want %v", r, tr[r], w)
		}
	}
	if got, w := x.Mean().Item(), float64(torchSumContiguousRef(xs)/float32(len(xs))); got != w {
		t.Fatalf("Mean = %v, want %v", got, w)
	}
}

func ExampleTensor_Tanh() {
	x := FromFloat32s([]float32{-20, -1, -0.5, 0, 0.5, 1, 20})
	fmt.Println(x.Tanh())
	// Output: tensor([-1.0000, -0.7616, -0.4621,  0.0000,  0.4621,  0.7616,  1.0000])
}

// TestSoftmaxFloat32 checks the float32 (log-)softmax against the float64
// computation rounded once, over the last and a middle dimension, with rows
// holding infinities and NaN.
func TestSoftmaxFloat32(t *testing.T) {
	g := NewGenerator(9)
	x := g.Randn(6, 5, 37).MulScalar(8)
	xv := x.Float32s()
	inf := float32(math.Inf(1))
	copy(xv[0:37], []float32{inf, 1, 2})                   // +Inf in a row
	copy(xv[37:74], []float32{-inf, -inf, 3})              // -Inf elements, finite max
	copy(xv[74:111], []float32{float32(math.NaN()), 0, 1}) // NaN
	for i := 111; i < 148; i++ {                           // all -Inf
		xv[i] = -inf
	}
	x = FromFloat32s(xv, 6, 5, 37)
	for _, dim := range []int{-1, 1, 0} {
		for _, logOut := range []bool{false, true} {
			got := x.softmaxKernel("Softmax", dim, logOut).Float32s()
			want := x.To(Float64).softmaxKernel("Softmax", dim, logOut).Float32s()
			for i := range want {
				w, gv := float64(want[i]), float64(got[i])
				if math.IsNaN(w) || math.IsInf(w, 0) {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("dim %d log %v: [%d] = %v, want %v", dim, logOut, i, got[i], want[i])
					}
					continue
				}
				if math.Abs(gv-w) > 1e-6*math.Abs(w)+1e-6 {
					t.Fatalf("dim %d log %v: [%d] = %v, want %v", dim, logOut, i, got[i], want[i])
				}
			}
		}
	}
}

// TestExtremumTyped checks Max/Min/ArgMax along dimensions of each dtype
// against a plain scan, with ties and NaN.
func TestExtremumTyped(t *testing.T) {
	v := []float64{3, 1, 3, -2, math.NaN(), 5, 0, 0, -1, 7, 7, 2}
	f32 := FromFloat64s(v, 3, 4).To(Float32)
	i64 := FromInts([]int{3, 1, 3, -2, 4, 5, 0, 0, -1, 7, 7, 2}, 3, 4)
	for _, x := range []*Tensor{f32, f32.To(Float64), i64, i64.GtScalar(0)} {
		for _, isMax := range []bool{true, false} {
			vals, idx := x.extremumDim("Max", "MaxBackward0", 1, false, isMax)
			all := x.Float64s()
			for r := 0; r < 3; r++ {
				row := all[r*4 : r*4+4]
				best, bi := row[0], 0
				for i, y := range row {
					if best != best {
						break
					}
					if (isMax && y > best) || (!isMax && y < best) || y != y {
						best, bi = y, i
					}
				}
				got := vals.Float64s()[r]
				if vals.DType() != x.DType() || idx.Int64s()[r] != int64(bi) || !(got == best || got != got && best != best) {
					t.Fatalf("%v max=%v row %d: %v (%v) at %d, want %v at %d", x.DType(), isMax, r, got, vals.DType(), idx.Int64s()[r], best, bi)
				}
			}
		}
	}
}

// TestMaxPool2x2 checks the 2×2 fast path (assembly rows and the pure-Go
// ones) against a plain window scan in the general kernel's order, on odd
// sizes, ties, -Inf and NaN.
func TestMaxPool2x2(t *testing.T) {
	t.Run("in use", testMaxPool2x2)
	t.Run("pure Go", func(t *testing.T) {
		withGoKernels(t)
		testMaxPool2x2(t)
	})
}

func testMaxPool2x2(t *testing.T) {
	rng := rand.New(rand.NewSource(10))
	for _, hw := range [][2]int{{2, 2}, {5, 7}, {26, 26}, {9, 4}, {4, 32}, {7, 41}, {3, 70}} {
		h, w := hw[0], hw[1]
		planes := 3
		x := make([]float32, planes*h*w)
		for i := range x {
			switch rng.Intn(10) {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Inf(-1))
			default:
				x[i] = float32(rng.Intn(4)) // ties
			}
		}
		g := poolGeom{planes: planes, h: h, w: w, kh: 2, kw: 2, sh: 2, sw: 2, dh: 1, dw: 1, oh: h / 2, ow: w / 2}
		idx := make([]int64, planes*g.oh*g.ow)
		got, ok := maxPool2x2(x, idx, g)
		if !ok {
			t.Fatalf("%dx%d: fast path not taken", h, w)
		}
		for p := 0; p < planes; p++ {
			for oy := 0; oy < g.oh; oy++ {
				for ox := 0; ox < g.ow; ox++ {
					best, bi := float32(math.Inf(-1)), 2*oy*w+2*ox
					for dy := 0; dy < 2; dy++ {
						for dx := 0; dx < 2; dx++ {
							k := (2*oy+dy)*w + 2*ox + dx
							if v := x[p*h*w+k]; v > best || v != v {
								best, bi = v, k
							}
						}
					}
					o := p*g.oh*g.ow + oy*g.ow + ox
					if !sameBits(got[o], best) || idx[o] != int64(bi) {
						t.Fatalf("%dx%d plane %d (%d,%d): %v at %d, want %v at %d", h, w, p, oy, ox, got[o], idx[o], best, bi)
					}
				}
			}
		}
		gout := make([]float32, len(got))
		for i := range gout {
			gout[i] = float32(rng.NormFloat64())
		}
		gx, ok := maxPool2x2Backward(gout, idx, g)
		want := make([]float32, len(x))
		for p := 0; p < planes; p++ {
			for i := 0; i < g.oh*g.ow; i++ {
				want[p*h*w+int(idx[p*g.oh*g.ow+i])] += gout[p*g.oh*g.ow+i]
			}
		}
		for i := range want {
			if !ok || !sameBits(gx[i], want[i]) {
				t.Fatalf("%dx%d backward: [%d] = %v, want %v", h, w, i, gx[i], want[i])
			}
		}
		g64 := make([]float64, len(x))
		for i, v := range x {
			g64[i] = float64(v)
		}
		got64, _ := maxPool2x2(g64, idx, g)
		for i := range got64 {
			if !sameBits(float32(got64[i]), got[i]) {
				t.Fatalf("float64 %dx%d: [%d] = %v, want %v", h, w, i, got64[i], got[i])
			}
		}
	}
}

// TestBufferRecycling checks that a large buffer nobody refers to any more
// comes back (unzeroed when asked so, zeroed otherwise), and that one still
// referred to through a slice does not.
func TestBufferRecycling(t *testing.T) {
	n := poolMinBytes/4 + 5
	class, _ := poolClass(n)
	// Empty the class first.
	for pool32.get(class, 0) != nil {
	}

	a := allocFloats[float32](n, false)
	a[0], a[n-1] = 7, 8
	addr := uintptr(unsafe.Pointer(&a[0])) // not a reference
	tail := a[n-1:]                        // keeps the buffer alive
	a = nil
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	b := allocFloats[float32](n, false)
	if uintptr(unsafe.Pointer(&b[0])) == addr {
		t.Fatal("a buffer still referred to by a slice was recycled")
	}
	if tail[0] != 8 {
		t.Fatal("the kept slice changed")
	}
	tail, b = nil, nil
	var got []float32
	for i := 0; i < 20 && got == nil; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
		if ptr := pool32.get(class, poolClassBytes(class, true)); ptr != nil {
			got = unsafe.Slice((*float32)(ptr), n)
			pool32.put(class, poolClassBytes(class, true), ptr)
		}
	}
	if got == nil {
		t.Fatal("no buffer came back after collections")
	}
	c := allocFloats[float32](n, true)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("zeroed buffer has %v at %d", v, i)
		}
	}
}

// TestConvertFloats checks the vector float32/float64 conversions against
// Go's conversion, for every tail length and with specials.
func TestConvertFloats(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for _, n := range kernelSizes {
		v := randFloats(rng, n, true)
		for i := range v {
			if i%5 == 0 {
				v[i] *= 1e300 // overflows float32
			}
			if i%7 == 0 {
				v[i] *= 1e-310 // underflows
			}
		}
		f32 := make([]float32, n)
		cvtF64F32(f32, v)
		back := make([]float64, n)
		cvtF32F64(back, f32)
		for i := range v {
			if !sameBits(f32[i], float32(v[i])) || !sameBits(back[i], float64(f32[i])) {
				t.Fatalf("n=%d [%d]: %v -> %v -> %v", n, i, v[i], f32[i], back[i])
			}
		}
	}
}

// TestCollectForHugeBuffers checks that allocating a huge buffer while its
// free list is empty collects first and reuses a dead buffer.
func TestCollectForHugeBuffers(t *testing.T) {
	n := collectMinBytes / 4
	class, capacity := poolClass(n)
	for pool32.get(class, capacity*4) != nil {
	}
	a := allocFloats[float32](n, false)
	addr := uintptr(unsafe.Pointer(&a[0])) // not a reference
	a = nil
	collectState.Lock()
	collectState.skip, collectState.failed = 0, 0 // a's allocation found nothing to collect
	collectState.Unlock()
	b := allocFloats[float32](n, false)
	if uintptr(unsafe.Pointer(&b[0])) != addr {
		t.Fatal("the dead buffer was not reused")
	}
}

// TestKernelsInterrupt checks that the parallel kernels poll the interrupt
// flag and re-raise it in the caller.
func TestKernelsInterrupt(t *testing.T) {
	x := NewGenerator(13).Randn(cheapParallelMin * 4)
	defer ResetInterrupt()
	for name, f := range map[string]func(){
		"Add":     func() { x.Add(x) },
		"Exp":     func() { x.Exp() },
		"Sum":     func() { x.Sum() },
		"Softmax": func() { x.Reshape(64, -1).Softmax(1) },
		"MaxDim":  func() { x.Reshape(64, -1).MaxDim(1, false) },
		"To":      func() { x.To(Float64) },
	} {
		Interrupt()
		if err := Catch(f); err != ErrInterrupted {
			t.Errorf("%s: got %v, want ErrInterrupted", name, err)
		}
		ResetInterrupt()
		if err := Catch(f); err != nil {
			t.Errorf("%s after ResetInterrupt: %v", name, err)
		}
	}
}
