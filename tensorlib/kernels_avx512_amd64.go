//go:build amd64

package tensorlib

import "golang.org/x/sys/cpu"

// The AVX-512F float32 exp, log, tanh and sigmoid kernels of
// kernels_avx512_amd64.s. They give the AVX2 kernels' results bit for bit
// (the same operations per lane, 16 lanes at a time, constants kept in
// registers), so a result does not depend on which x86 CPU computed it;
// they take any n (masked tail).

//go:noescape
func expF32AVX512(dst, src *float32, n int)

//go:noescape
func logF32AVX512(dst, src *float32, n int)

//go:noescape
func tanhF32AVX512(dst, src *float32, n int)

//go:noescape
func sigmoidF32AVX512(dst, src *float32, n int)

// The …NT kernels store with non-temporal stores (and take any dst: they
// align it themselves), for outputs far beyond the caches.

//go:noescape
func expF32AVX512NT(dst, src *float32, n int)

//go:noescape
func logF32AVX512NT(dst, src *float32, n int)

//go:noescape
func tanhF32AVX512NT(dst, src *float32, n int)

//go:noescape
func sigmoidF32AVX512NT(dst, src *float32, n int)

// hasAVX512Unary reports whether this CPU (and OS) can run the AVX-512
// unary kernels: they use AVX512F instructions only.
var hasAVX512Unary = cpu.X86.HasAVX512F

// avx512Unary maps the ops with AVX-512 kernels to them: the ordinary
// and the non-temporal one.
var avx512Unary = map[unOp][2]unAsm{
	unExp: {expF32AVX512, expF32AVX512NT}, unLog: {logF32AVX512, logF32AVX512NT},
	unTanh: {tanhF32AVX512, tanhF32AVX512NT}, unSigmoid: {sigmoidF32AVX512, sigmoidF32AVX512NT},
}

// installAVX512 replaces the AVX2 kernels of k and k.big that have an
// AVX-512 version; installSIMD must have run.
func installAVX512(k *vecKernels[float32]) {
	for op, f := range avx512Unary {
		k.un[op] = unaryAnyN(f[0])
		k.big.un[op] = unaryAnyN(f[1])
	}
}

// unaryAnyN wraps an assembly unary kernel that takes any n as a row
// kernel.
func unaryAnyN(f unAsm) func(d, s []float32) {
	return func(d, s []float32) {
		if len(d) > 0 {
			f(&d[0], &s[:len(d)][0], len(d))
		}
	}
}
