//go:build amd64

package tensorlib

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX2/FMA elementwise kernels of kernels_amd64.s. Binary kernels take
// n elements of dst, a and b (or the scalar s); unary ones and the
// activation gradients (reluGradF32, ...) take n, a multiple of 8,
// elements (unaryAsm and gradAsm handle the rest). The …NT
// versions store with non-temporal stores and need dst aligned to 32
// bytes (alignedNT peels the head).

//go:noescape
func addVVF32(dst, a, b *float32, n int)

//go:noescape
func subVVF32(dst, a, b *float32, n int)

//go:noescape
func mulVVF32(dst, a, b *float32, n int)

//go:noescape
func divVVF32(dst, a, b *float32, n int)

//go:noescape
func addVVF64(dst, a, b *float64, n int)

//go:noescape
func subVVF64(dst, a, b *float64, n int)

//go:noescape
func mulVVF64(dst, a, b *float64, n int)

//go:noescape
func divVVF64(dst, a, b *float64, n int)

//go:noescape
func addVSF32(dst, a *float32, s float32, n int)

//go:noescape
func subVSF32(dst, a *float32, s float32, n int)

//go:noescape
func mulVSF32(dst, a *float32, s float32, n int)

//go:noescape
func divVSF32(dst, a *float32, s float32, n int)

//go:noescape
func subSVF32(dst, a *float32, s float32, n int)

//go:noescape
func divSVF32(dst, a *float32, s float32, n int)

//go:noescape
func addVSF64(dst, a *float64, s float64, n int)

//go:noescape
func subVSF64(dst, a *float64, s float64, n int)

//go:noescape
func mulVSF64(dst, a *float64, s float64, n int)

//go:noescape
func divVSF64(dst, a *float64, s float64, n int)

//go:noescape
func subSVF64(dst, a *float64, s float64, n int)

//go:noescape
func divSVF64(dst, a *float64, s float64, n int)

//go:noescape
func reluGradF32(dst, grad, out *float32, n int)

//go:noescape
func tanhGradF32(dst, grad, out *float32, n int)

//go:noescape
func sigmoidGradF32(dst, grad, out *float32, n int)

//go:noescape
func reluGradF32NT(dst, grad, out *float32, n int)

//go:noescape
func tanhGradF32NT(dst, grad, out *float32, n int)

//go:noescape
func sigmoidGradF32NT(dst, grad, out *float32, n int)

//go:noescape
func expF32(dst, src *float32, n int)

//go:noescape
func logF32(dst, src *float32, n int)

//go:noescape
func tanhF32(dst, src *float32, n int)

//go:noescape
func sigmoidF32(dst, src *float32, n int)

//go:noescape
func reluF32(dst, src *float32, n int)

//go:noescape
func negF32(dst, src *float32, n int)

//go:noescape
func absF32(dst, src *float32, n int)

//go:noescape
func sqrtF32(dst, src *float32, n int)

//go:noescape
func addVVF32NT(dst, a, b *float32, n int)

//go:noescape
func subVVF32NT(dst, a, b *float32, n int)

//go:noescape
func mulVVF32NT(dst, a, b *float32, n int)

//go:noescape
func divVVF32NT(dst, a, b *float32, n int)

//go:noescape
func addVVF64NT(dst, a, b *float64, n int)

//go:noescape
func subVVF64NT(dst, a, b *float64, n int)

//go:noescape
func mulVVF64NT(dst, a, b *float64, n int)

//go:noescape
func divVVF64NT(dst, a, b *float64, n int)

//go:noescape
func addVSF32NT(dst, a *float32, s float32, n int)

//go:noescape
func subVSF32NT(dst, a *float32, s float32, n int)

//go:noescape
func mulVSF32NT(dst, a *float32, s float32, n int)

//go:noescape
func divVSF32NT(dst, a *float32, s float32, n int)

//go:noescape
func subSVF32NT(dst, a *float32, s float32, n int)

//go:noescape
func divSVF32NT(dst, a *float32, s float32, n int)

//go:noescape
func addVSF64NT(dst, a *float64, s float64, n int)

//go:noescape
func subVSF64NT(dst, a *float64, s float64, n int)

//go:noescape
func mulVSF64NT(dst, a *float64, s float64, n int)

//go:noescape
func divVSF64NT(dst, a *float64, s float64, n int)

//go:noescape
func subSVF64NT(dst, a *float64, s float64, n int)

//go:noescape
func divSVF64NT(dst, a *float64, s float64, n int)

//go:noescape
func reluF32NT(dst, src *float32, n int)

//go:noescape
func negF32NT(dst, src *float32, n int)

//go:noescape
func absF32NT(dst, src *float32, n int)

//go:noescape
func sqrtF32NT(dst, src *float32, n int)

//go:noescape
func pool2x2PlaneAVX2(out *float32, idx *int64, in *float32, oh, ow, w int)

//go:noescape
func cvtF32F64AVX(dst *float64, src *float32, n int)

//go:noescape
func cvtF64F32AVX(dst *float32, src *float64, n int)

//go:noescape
func sumBlock64F32(acc, x *float32, steps int)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		installSIMD(&kern32, &kern64)
		if hasAVX512Unary {
			installAVX512(&kern32)
		}
		sumBlock64 = func(acc *[64]float32, x []float32, steps int) {
			if steps > 0 {
				sumBlock64F32(&acc[0], &x[:64*steps][0], steps)
			}
		}
		pool2x2Plane32 = func(o []float32, ix []int64, in []float32, oh, ow, w int) {
			if ow < 8 || oh == 0 {
				pool2x2PlaneGo(o, ix, in, oh, ow, w)
				return
			}
			pool2x2PlaneAVX2(&o[:oh*ow][0], &ix[:oh*ow][0], &in[:2*oh*w][0], oh, ow, w)
		}
		cvtF32F64 = func(d []float64, s []float32) {
			n := len(d) &^ 7
			if n > 0 {
				cvtF32F64AVX(&d[0], &s[:n][0], n)
			}
			cvtGo(d[n:], s[n:len(d)])
		}
		cvtF64F32 = func(d []float32, s []float64) {
			n := len(d) &^ 7
			if n > 0 {
				cvtF64F32AVX(&d[0], &s[:n][0], n)
			}
			cvtGo(d[n:], s[n:len(d)])
		}
		hasSIMD = true
	}
}

// installSIMD replaces the pure-Go kernels with the assembly ones, and
// sets the big kernels (non-temporal stores) of both tables.
func installSIMD(k32 *vecKernels[float32], k64 *vecKernels[float64]) {
	b32, b64 := *k32, *k64
	fill32(k32, &b32)
	fill64(k64, &b64)
	k32.big, k64.big = &b32, &b64
}

type (
	vvAsm[T float] func(dst, a, b *T, n int)
	vsAsm[T float] func(dst, a *T, s T, n int)
	unAsm          func(dst, src *float32, n int)
)

func fill32(k, big *vecKernels[float32]) {
	for op, f := range map[binOp][2]vvAsm[float32]{
		binAdd: {addVVF32, addVVF32NT}, binSub: {subVVF32, subVVF32NT},
		binMul: {mulVVF32, mulVVF32NT}, binDiv: {divVVF32, divVVF32NT},
	} {
		k.vv[op], big.vv[op] = vvKernel(f[0]), alignedNT(vvKernel(f[0]), vvKernel(f[1]))
	}
	for op, f := range map[binOp][2]vsAsm[float32]{
		binAdd: {addVSF32, addVSF32NT}, binSub: {subVSF32, subVSF32NT},
		binMul: {mulVSF32, mulVSF32NT}, binDiv: {divVSF32, divVSF32NT},
	} {
		k.vs[op], big.vs[op] = vsKernel(f[0]), vsAlignedNT(vsKernel(f[0]), vsKernel(f[1]))
	}
	for op, f := range map[binOp][2]vsAsm[float32]{
		binAdd: {addVSF32, addVSF32NT}, binMul: {mulVSF32, mulVSF32NT},
		binSub: {subSVF32, subSVF32NT}, binDiv: {divSVF32, divSVF32NT},
	} {
		k.sv[op], big.sv[op] = svKernel(vsKernel(f[0])), svKernel(vsAlignedNT(vsKernel(f[0]), vsKernel(f[1])))
	}
	for op, f := range map[binOp][2]vvAsm[float32]{
		binReluGrad: {reluGradF32, reluGradF32NT}, binTanhGrad: {tanhGradF32, tanhGradF32NT},
		binSigmoidGrad: {sigmoidGradF32, sigmoidGradF32NT},
	} {
		goGrad := k.vv[op]
		k.vv[op], big.vv[op] = gradAsm(f[0], goGrad), alignedNT(gradAsm(f[0], goGrad), gradAsm(f[1], goGrad))
	}
	// The compute-bound functions keep ordinary stores: with non-temporal
	// ones exp on 16M elements ran 30% slower on one thread (10% faster
	// on two). (Their AVX-512 versions, installed over these where the
	// CPU has AVX-512, are fast enough to gain from them.)
	for op, f := range map[unOp]unAsm{unExp: expF32, unLog: logF32, unTanh: tanhF32, unSigmoid: sigmoidF32} {
		k.un[op] = unaryAsm(f)
		big.un[op] = k.un[op]
	}
	for op, f := range map[unOp][2]unAsm{
		unReLU: {reluF32, reluF32NT}, unNeg: {negF32, negF32NT},
		unAbs: {absF32, absF32NT}, unSqrt: {sqrtF32, sqrtF32NT},
	} {
		k.un[op] = unaryAsm(f[0])
		big.un[op] = unaryAlignedNT(unaryAsm(f[0]), f[1])
	}
}

func fill64(k, big *vecKernels[float64]) {
	for op, f := range map[binOp][2]vvAsm[float64]{
		binAdd: {addVVF64, addVVF64NT}, binSub: {subVVF64, subVVF64NT},
		binMul: {mulVVF64, mulVVF64NT}, binDiv: {divVVF64, divVVF64NT},
	} {
		k.vv[op], big.vv[op] = vvKernel(f[0]), alignedNT(vvKernel(f[0]), vvKernel(f[1]))
	}
	for op, f := range map[binOp][2]vsAsm[float64]{
		binAdd: {addVSF64, addVSF64NT}, binSub: {subVSF64, subVSF64NT},
		binMul: {mulVSF64, mulVSF64NT}, binDiv: {divVSF64, divVSF64NT},
	} {
		k.vs[op], big.vs[op] = vsKernel(f[0]), vsAlignedNT(vsKernel(f[0]), vsKernel(f[1]))
	}
	for op, f := range map[binOp][2]vsAsm[float64]{
		binAdd: {addVSF64, addVSF64NT}, binMul: {mulVSF64, mulVSF64NT},
		binSub: {subSVF64, subSVF64NT}, binDiv: {divSVF64, divSVF64NT},
	} {
		k.sv[op], big.sv[op] = svKernel(vsKernel(f[0])), svKernel(vsAlignedNT(vsKernel(f[0]), vsKernel(f[1])))
	}
}

// vvKernel wraps an assembly vector-vector kernel as a row kernel.
func vvKernel[T float](f vvAsm[T]) func(d, a, b []T) {
	return func(d, a, b []T) {
		if len(d) > 0 {
			f(&d[0], &a[:len(d)][0], &b[:len(d)][0], len(d))
		}
	}
}

// vsKernel wraps an assembly vector-scalar kernel as a row kernel.
func vsKernel[T float](f vsAsm[T]) func(d, a []T, s T) {
	return func(d, a []T, s T) {
		if len(d) > 0 {
			f(&d[0], &a[:len(d)][0], s, len(d))
		}
	}
}

// gradAsm wraps an assembly activation-gradient kernel (multiples of 8
// elements) as a row kernel, the pure-Go kernel goK doing the last n%8.
func gradAsm(f vvAsm[float32], goK func(d, g, out []float32)) func(d, g, out []float32) {
	return func(d, g, out []float32) {
		n := len(d) &^ 7
		if n > 0 {
			f(&d[0], &g[:n][0], &out[:n][0], n)
		}
		goK(d[n:], g[n:len(d)], out[n:len(d)])
	}
}

// svKernel turns a vector-scalar row kernel computing s op a[i] (the
// assembly takes a first) into a scalar-vector one.
func svKernel[T float](f func(d, a []T, s T)) func(d []T, s T, a []T) {
	return func(d []T, s T, a []T) { f(d, a, s) }
}

// alignHead is the number of elements of d before its first 32-byte
// boundary.
func alignHead[T float](d []T) int {
	var z T
	return int((32-uintptr(unsafe.Pointer(&d[0]))%32)%32) / int(unsafe.Sizeof(z))
}

// alignedNT runs the non-temporal kernel nt on the 32-byte aligned part
// of d and the ordinary kernel f on the elements before it.
func alignedNT[T float](f, nt func(d, a, b []T)) func(d, a, b []T) {
	return func(d, a, b []T) {
		if len(d) == 0 {
			return
		}
		h := min(alignHead(d), len(d))
		f(d[:h], a[:h], b[:h])
		nt(d[h:], a[h:len(d)], b[h:len(d)])
	}
}

// vsAlignedNT is alignedNT for vector-scalar kernels.
func vsAlignedNT[T float](f, nt func(d, a []T, s T)) func(d, a []T, s T) {
	return func(d, a []T, s T) {
		if len(d) == 0 {
			return
		}
		h := min(alignHead(d), len(d))
		f(d[:h], a[:h], s)
		nt(d[h:], a[h:len(d)], s)
	}
}

// unaryAsm wraps an assembly unary kernel (multiples of 8 elements) as a
// row kernel: the last n%8 elements go through an 8-element buffer.
func unaryAsm(f unAsm) func(d, s []float32) {
	return func(d, s []float32) {
		n := len(d)
		full := n &^ 7
		if full > 0 {
			f(&d[0], &s[:full][0], full)
		}
		if full < n {
			var buf [8]float32
			copy(buf[:], s[full:n])
			f(&buf[0], &buf[0], 8)
			copy(d[full:], buf[:n-full])
		}
	}
}

// unaryAlignedNT runs the non-temporal unary kernel nt on the 32-byte
// aligned multiple of 8 elements of d, and f on the rest.
func unaryAlignedNT(f func(d, s []float32), nt unAsm) func(d, s []float32) {
	return func(d, s []float32) {
		if len(d) == 0 {
			return
		}
		h := min(alignHead(d), len(d))
		m := (len(d) - h) &^ 7
		f(d[:h], s[:h])
		if m > 0 {
			nt(&d[h], &s[h : h+m][0], m)
		}
		f(d[h+m:], s[h+m:len(d)])
	}
}
