package tensorlib

import (
	"math"
	"unsafe"
)

// Typed elementwise kernels for float32 and float64: the fast paths of
// applyBinary and applyUnary. An op is a small code, not a function value,
// so a row of elements is one call of a loop written for that op (pure Go
// here; AVX2 assembly where kernels_amd64.go installs it), and no function
// value is called per element. Rows come from forRange, which walks any
// strided, broadcast layout; parallelFor splits large tensors between
// threads.

// binOp names a binary elementwise operation with a fast path.
type binOp uint8

const (
	binNone binOp = iota
	binAdd
	binSub
	binMul
	binDiv
	// binReluGrad is ReLU's backward, PyTorch's threshold_backward:
	// a (the gradient) where b (ReLU's output) is > 0 or NaN, else 0.
	binReluGrad
	// binTanhGrad is Tanh's backward a·(1 - b·b), b the output.
	binTanhGrad
	// binSigmoidGrad is Sigmoid's backward a·(b·(1 - b)), b the output.
	binSigmoidGrad
	// binPow is a^b, computed in float64 (math.Pow) and rounded.
	binPow
	numBinOps
)

// unOp names a unary elementwise operation with a fast path.
type unOp uint8

const (
	unNone unOp = iota
	unNeg
	unAbs
	unExp
	unLog
	unSqrt
	unRsqrt
	unTanh
	unSigmoid
	unReLU
	unGELU
	numUnOps
)

// vecKernels are one dtype's row kernels, indexed by op. vv computes
// dst[i] = a[i] op b[i], vs a[i] op s and sv s op a[i] (a nil entry falls
// back to binRow's loops); un computes dst[i] = f(src[i]) (dst may be
// src). Every slice argument has len(dst) elements.
type vecKernels[T float] struct {
	vv [numBinOps]func(dst, a, b []T)
	vs [numBinOps]func(dst, a []T, s T)
	sv [numBinOps]func(dst []T, s T, a []T)
	un [numUnOps]func(dst, src []T)
	// big, if set, are the kernels for outputs of at least bigBytes,
	// far beyond the caches (assembly with non-temporal stores, which
	// spare reading the output's cache lines before writing them).
	big *vecKernels[T]
}

// bigBytes is the output size from which ewBinary and ewUnary use the
// big kernels.
const bigBytes = 8 << 20

// forSize returns the kernels for an output of n elements.
func (k *vecKernels[T]) forSize(n int) *vecKernels[T] {
	var z T
	if k.big != nil && n*int(unsafe.Sizeof(z)) >= bigBytes {
		return k.big
	}
	return k
}

// hasSIMD is set where the assembly elementwise kernels are in use.
var hasSIMD bool

// kern32 and kern64 are the kernels in use: pure Go (goKernels), with
// assembly replacing some of kern32's and kern64's entries where the CPU
// allows (kernels_amd64.go).
var (
	kern32 = goKernels[float32]()
	kern64 = goKernels[float64]()
)

// goKernels returns the pure-Go kernels, the reference for the assembly
// ones: one loop per op, the op's arithmetic written in it.
func goKernels[T float]() vecKernels[T] {
	var k vecKernels[T]
	k.vv[binAdd] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = a[i] + b[i]
		}
	}
	k.vv[binSub] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = a[i] - b[i]
		}
	}
	k.vv[binMul] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = a[i] * b[i]
		}
	}
	k.vv[binDiv] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = a[i] / b[i]
		}
	}
	k.vv[binReluGrad] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = reluGrad(a[i], b[i])
		}
	}
	k.vv[binTanhGrad] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = a[i] * (1 - T(b[i]*b[i]))
		}
	}
	k.vv[binSigmoidGrad] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = a[i] * T(b[i]*(1-b[i]))
		}
	}
	k.vv[binPow] = func(d, a, b []T) {
		b = b[:len(a)]
		for i := range a {
			d[i] = T(math.Pow(float64(a[i]), float64(b[i])))
		}
	}
	k.vs[binPow] = func(d, a []T, s T) {
		var z T
		if s == 2 && unsafe.Sizeof(z) == 4 {
			// float32: x·x rounds the exact square once, as the float64
			// power rounded to float32 does.
			for i, x := range a {
				d[i] = x * x
			}
			return
		}
		for i, x := range a {
			d[i] = T(math.Pow(float64(x), float64(s)))
		}
	}
	k.vs[binAdd] = func(d, a []T, s T) {
		for i := range a {
			d[i] = a[i] + s
		}
	}
	k.vs[binSub] = func(d, a []T, s T) {
		for i := range a {
			d[i] = a[i] - s
		}
	}
	k.vs[binMul] = func(d, a []T, s T) {
		for i := range a {
			d[i] = a[i] * s
		}
	}
	k.vs[binDiv] = func(d, a []T, s T) {
		for i := range a {
			d[i] = a[i] / s
		}
	}
	k.sv[binAdd] = func(d []T, s T, a []T) { k.vs[binAdd](d, a, s) }
	k.sv[binMul] = func(d []T, s T, a []T) { k.vs[binMul](d, a, s) }
	k.sv[binSub] = func(d []T, s T, a []T) {
		for i := range a {
			d[i] = s - a[i]
		}
	}
	k.sv[binDiv] = func(d []T, s T, a []T) {
		for i := range a {
			d[i] = s / a[i]
		}
	}
	k.un[unNeg] = func(d, s []T) {
		for i := range s {
			d[i] = -s[i]
		}
	}
	k.un[unReLU] = func(d, s []T) {
		for i, x := range s {
			if !(x > 0 || x != x) {
				x = 0
			}
			d[i] = x
		}
	}
	// The functions below are computed in float64 and rounded (for
	// float32: correctly rounded but for rare ties).
	k.un[unAbs] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(math.Abs(float64(x)))
		}
	}
	k.un[unExp] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(math.Exp(float64(x)))
		}
	}
	k.un[unLog] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(math.Log(float64(x)))
		}
	}
	k.un[unSqrt] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(math.Sqrt(float64(x)))
		}
	}
	k.un[unRsqrt] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(1 / math.Sqrt(float64(x)))
		}
	}
	k.un[unTanh] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(math.Tanh(float64(x)))
		}
	}
	k.un[unSigmoid] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(sigmoid(float64(x)))
		}
	}
	k.un[unGELU] = func(d, s []T) {
		for i, x := range s {
			d[i] = T(gelu(float64(x)))
		}
	}
	return k
}

// gelu is the exact (erf) GELU.
func gelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// reluGrad is threshold_backward(g, out, 0): 0 where out <= 0, g elsewhere
// (also where out is NaN).
func reluGrad[T float](g, out T) T {
	if out <= 0 {
		return 0
	}
	return g
}

// binScalar applies op to one pair of elements.
func binScalar[T float](op binOp, a, b T) T {
	switch op {
	case binAdd:
		return a + b
	case binSub:
		return a - b
	case binMul:
		return a * b
	case binDiv:
		return a / b
	case binReluGrad:
		return reluGrad(a, b)
	case binTanhGrad:
		return a * (1 - T(b*b))
	case binSigmoidGrad:
		return a * T(b*(1-b))
	case binPow:
		return T(math.Pow(float64(a), float64(b)))
	}
	panic("tensorlib: unknown binary op")
}

// binRow computes one row of n = len(d) results from a (offset ao, stride
// as) and b (offset bo, stride bs).
func binRow[T float](k *vecKernels[T], op binOp, d, a []T, ao, as int, b []T, bo, bs int) {
	n := len(d)
	switch {
	case as == 1 && bs == 1:
		if f := k.vv[op]; f != nil {
			f(d, a[ao:ao+n], b[bo:bo+n])
			return
		}
	case as == 1 && bs == 0:
		if f := k.vs[op]; f != nil {
			f(d, a[ao:ao+n], b[bo])
			return
		}
	case as == 0 && bs == 1:
		if f := k.sv[op]; f != nil {
			f(d, a[ao], b[bo:bo+n])
			return
		}
	}
	switch op {
	case binAdd:
		for i := range d {
			d[i] = a[ao+i*as] + b[bo+i*bs]
		}
	case binSub:
		for i := range d {
			d[i] = a[ao+i*as] - b[bo+i*bs]
		}
	case binMul:
		for i := range d {
			d[i] = a[ao+i*as] * b[bo+i*bs]
		}
	case binDiv:
		for i := range d {
			d[i] = a[ao+i*as] / b[bo+i*bs]
		}
	default:
		for i := range d {
			d[i] = binScalar(op, a[ao+i*as], b[bo+i*bs])
		}
	}
}

// elementwise ops' cost classes: the number of elements below which an op
// runs on one thread, and the size of the chunks threads take.
const (
	cheapParallelMin  = 1 << 17 // add, mul, copy: memory bound
	cheapChunk        = 1 << 15
	costlyParallelMin = 1 << 14 // exp, tanh, log: compute bound
	costlyChunk       = 1 << 12
)

// unCostly reports whether op is compute bound.
func unCostly(op unOp) bool {
	switch op {
	case unNeg, unAbs, unReLU, unSqrt:
		return false
	}
	return true
}

// ewBinary computes dst = a op b elementwise over shape, a and b read with
// broadcast strides (dst is contiguous), in parallel for large tensors.
func ewBinary[T float](k *vecKernels[T], op binOp, dst, a []T, aStr []int, aOff int, b []T, bStr []int, bOff int, shape []int) {
	n := len(dst)
	if n == 0 {
		return
	}
	k = k.forSize(n)
	cs, st := coalesce(shape, [][]int{aStr, bStr})
	pmin, chunk := cheapParallelMin, cheapChunk
	if op == binPow {
		pmin, chunk = costlyParallelMin, costlyChunk
	}
	parallelFor(n, pmin, chunk, func(lo, hi int) {
		forRange(cs, st[0], st[1], aOff, bOff, lo, hi, func(pos, ao, as, bo, bs, cnt int) {
			binRow(k, op, dst[pos:pos+cnt], a, ao, as, b, bo, bs)
		})
	})
}

// ewUnary computes dst = f(src) elementwise over the view (shape,
// strides, off) of src; dst is contiguous.
func ewUnary[T float](k *vecKernels[T], op unOp, dst, src []T, shape, strides []int, off int) {
	n := len(dst)
	if n == 0 {
		return
	}
	kk := k.forSize(n)
	f := kk.un[op]
	cs, st := coalesce(shape, [][]int{strides})
	pmin, chunk := cheapParallelMin, cheapChunk
	if unCostly(op) {
		pmin, chunk = costlyParallelMin, costlyChunk
		if kk != k {
			// Outputs beyond the caches: each call of a big kernel
			// loads its constants and ends with a store fence, which
			// cost exp and log on 16M values 4-7% in 4K-element calls.
			chunk = cheapChunk
		}
	}
	parallelFor(n, pmin, chunk, func(lo, hi int) {
		forRange(cs, st[0], nil, off, 0, lo, hi, func(pos, o, s, _, _, cnt int) {
			d := dst[pos : pos+cnt]
			if s == 1 {
				f(d, src[o:o+cnt])
				return
			}
			for i := range d {
				d[i] = src[o+i*s]
			}
			f(d, d)
		})
	})
}

// forRange calls fn for the runs along the innermost dimension of shape
// that cover the row-major positions [lo, hi): pos is the run's first
// position, o0 and o1 the storage offsets of its first element in two
// operands (strides st0 and st1; st1 may be nil for one operand), s0 and
// s1 their strides along the run, and n its length.
func forRange(shape, st0, st1 []int, off0, off1, lo, hi int, fn func(pos, o0, s0, o1, s1, n int)) {
	nd := len(shape)
	if nd == 0 {
		if lo < hi {
			fn(0, off0, 0, off1, 0, 1)
		}
		return
	}
	stride1 := func(d int) int {
		if st1 == nil {
			return 0
		}
		return st1[d]
	}
	var idxBuf [8]int
	idx := idxBuf[:0]
	if nd > len(idxBuf) {
		idx = make([]int, nd)
	} else {
		idx = idxBuf[:nd]
	}
	o0, o1 := off0, off1
	rem := lo
	for d := nd - 1; d >= 0; d-- {
		idx[d] = rem % shape[d]
		rem /= shape[d]
		o0 += idx[d] * st0[d]
		o1 += idx[d] * stride1(d)
	}
	last := nd - 1
	n, s0, s1 := shape[last], st0[last], stride1(last)
	for pos := lo; pos < hi; {
		run := min(n-idx[last], hi-pos)
		fn(pos, o0, s0, o1, s1, run)
		pos += run
		if pos >= hi {
			return
		}
		// The run ended at the end of a row: back to the row's start,
		// then carry into the outer dimensions.
		o0 -= idx[last] * s0
		o1 -= idx[last] * s1
		idx[last] = 0
		if nd == 1 {
			return
		}
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			o0 += st0[d]
			o1 += stride1(d)
			if idx[d] < shape[d] {
				break
			}
			o0 -= st0[d] * shape[d]
			o1 -= stride1(d) * shape[d]
			idx[d] = 0
		}
	}
}

// cmpOp names a comparison with a fast path.
type cmpOp uint8

const (
	cmpNone cmpOp = iota
	cmpEq
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// cmpRow compares one row of n = len(d) elements of a (offset ao, stride
// as) with b (offset bo, stride bs), the op chosen once per row.
func cmpRow[T float](op cmpOp, d []bool, a []T, ao, as int, b []T, bo, bs int) {
	switch op {
	case cmpEq:
		for i := range d {
			d[i] = a[ao+i*as] == b[bo+i*bs]
		}
	case cmpNe:
		for i := range d {
			d[i] = a[ao+i*as] != b[bo+i*bs]
		}
	case cmpLt:
		for i := range d {
			d[i] = a[ao+i*as] < b[bo+i*bs]
		}
	case cmpLe:
		for i := range d {
			d[i] = a[ao+i*as] <= b[bo+i*bs]
		}
	case cmpGt:
		for i := range d {
			d[i] = a[ao+i*as] > b[bo+i*bs]
		}
	case cmpGe:
		for i := range d {
			d[i] = a[ao+i*as] >= b[bo+i*bs]
		}
	}
}

// ewCompare computes dst = a op b elementwise over shape, a and b read
// with broadcast strides.
func ewCompare[T float](op cmpOp, dst []bool, a []T, aStr []int, aOff int, b []T, bStr []int, bOff int, shape []int) {
	n := len(dst)
	if n == 0 {
		return
	}
	cs, st := coalesce(shape, [][]int{aStr, bStr})
	parallelFor(n, cheapParallelMin, cheapChunk, func(lo, hi int) {
		forRange(cs, st[0], st[1], aOff, bOff, lo, hi, func(pos, ao, as, bo, bs, cnt int) {
			cmpRow(op, dst[pos:pos+cnt], a, ao, as, b, bo, bs)
		})
	})
}
