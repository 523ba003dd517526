//go:build amd64

package tensorlib

import "golang.org/x/sys/cpu"

// The AVX2 normalisation kernels of norm_amd64.s, installed as normK when
// the CPU has AVX2. Each takes n, a multiple of the kernel's block (16 for
// sums, 8 otherwise; see normKernels), elements of every array.

//go:noescape
func normSumAVX2(acc *[16]float64, x *float32, n int)

//go:noescape
func normSqDevAVX2(acc *[16]float64, x *float32, n int, m float64)

//go:noescape
func normSqDev32AVX2(acc *[16]float64, x *float32, n int, m float32)

//go:noescape
func normAffineAVX2(dst, x *float32, w, b *float64, n int, m, s float64)

//go:noescape
func normScaleShiftAVX2(dst, x *float32, n int, m, s, w, b float64)

//go:noescape
func lnSumsAVX2(a1, a2 *[16]float64, x, gr *float32, w *float64, n int, m, s float64)

//go:noescape
func lnDxAVX2(dx, x, gr *float32, w, accW, accB *float64, n int, m, s, mgw, mgwx float64)

//go:noescape
func bnSumsAVX2(aS, aD *[16]float64, x, gr *float32, n int, m float64)

//go:noescape
func bnDxAVX2(dx, x, gr *float32, n int, m, sc, k, is, wc float64)

// The AVX-512 kernels of norm512_amd64.s, same contracts.

//go:noescape
func normAffineAVX512(dst, x *float32, w, b *float64, n int, m, s float64)

//go:noescape
func normScaleShiftAVX512(dst, x *float32, n int, m, s, w, b float64)

//go:noescape
func lnDxAVX512(dx, x, gr *float32, w, accW, accB *float64, n int, m, s, mgw, mgwx float64)

//go:noescape
func bnDxAVX512(dx, x, gr *float32, n int, m, sc, k, is, wc float64)

//go:noescape
func bnSumsAVX512(aS, aD *[16]float64, x, gr *float32, n int, m float64)

// normAVX2 is normKernels over the assembly kernels; the wrappers skip
// empty blocks, whose slices have no first element to point at.
var normAVX2 = normKernels{
	sum: func(acc *[16]float64, x []float32) {
		if len(x) > 0 {
			normSumAVX2(acc, &x[0], len(x))
		}
	},
	sqDev: func(acc *[16]float64, x []float32, m float64) {
		if len(x) > 0 {
			normSqDevAVX2(acc, &x[0], len(x), m)
		}
	},
	sqDev32: func(acc *[16]float64, x []float32, m float32) {
		if len(x) > 0 {
			normSqDev32AVX2(acc, &x[0], len(x), m)
		}
	},
	affine: func(dst, x []float32, w, b []float64, m, s float64) {
		if len(dst) == 0 {
			return
		}
		n := len(dst)
		var bp *float64
		if b != nil {
			bp = &b[:n][0]
		}
		normAffineAVX2(&dst[0], &x[:n][0], &w[:n][0], bp, n, m, s)
	},
	scaleShift: func(dst, x []float32, m, s, w, b float64) {
		if n := len(dst); n > 0 {
			normScaleShiftAVX2(&dst[0], &x[:n][0], n, m, s, w, b)
		}
	},
	lnSums: func(a1, a2 *[16]float64, x, g []float32, w []float64, m, s float64) {
		if n := len(x); n > 0 {
			lnSumsAVX2(a1, a2, &x[0], &g[:n][0], &w[:n][0], n, m, s)
		}
	},
	lnDx: func(dx, x, g []float32, w, accW, accB []float64, m, s, mgw, mgwx float64) {
		if n := len(dx); n > 0 {
			lnDxAVX2(&dx[0], &x[:n][0], &g[:n][0], &w[:n][0], &accW[:n][0], &accB[:n][0], n, m, s, mgw, mgwx)
		}
	},
	bnSums: func(aS, aD *[16]float64, x, g []float32, m float64) {
		if n := len(x); n > 0 {
			bnSumsAVX2(aS, aD, &x[0], &g[:n][0], n, m)
		}
	},
	bnDx: func(dx, x, g []float32, m, sc, k, is, wc float64) {
		if n := len(dx); n > 0 {
			bnDxAVX2(&dx[0], &x[:n][0], &g[:n][0], n, m, sc, k, is, wc)
		}
	},
}

// normAVX512 is normAVX2 with the AVX-512 kernels (the elementwise ones and
// bnSums; the other sums are no faster with AVX-512).
var normAVX512 = func() normKernels {
	k := normAVX2
	k.bnSums = func(aS, aD *[16]float64, x, g []float32, m float64) {
		if n := len(x); n > 0 {
			bnSumsAVX512(aS, aD, &x[0], &g[:n][0], n, m)
		}
	}
	k.affine = func(dst, x []float32, w, b []float64, m, s float64) {
		if len(dst) == 0 {
			return
		}
		n := len(dst)
		var bp *float64
		if b != nil {
			bp = &b[:n][0]
		}
		normAffineAVX512(&dst[0], &x[:n][0], &w[:n][0], bp, n, m, s)
	}
	k.scaleShift = func(dst, x []float32, m, s, w, b float64) {
		if n := len(dst); n > 0 {
			normScaleShiftAVX512(&dst[0], &x[:n][0], n, m, s, w, b)
		}
	}
	k.lnDx = func(dx, x, g []float32, w, accW, accB []float64, m, s, mgw, mgwx float64) {
		if n := len(dx); n > 0 {
			lnDxAVX512(&dx[0], &x[:n][0], &g[:n][0], &w[:n][0], &accW[:n][0], &accB[:n][0], n, m, s, mgw, mgwx)
		}
	}
	k.bnDx = func(dx, x, g []float32, m, sc, k, is, wc float64) {
		if n := len(dx); n > 0 {
			bnDxAVX512(&dx[0], &x[:n][0], &g[:n][0], n, m, sc, k, is, wc)
		}
	}
	return k
}()

func init() {
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX2:
		normK = normAVX512
	case cpu.X86.HasAVX2:
		normK = normAVX2
	}
}
