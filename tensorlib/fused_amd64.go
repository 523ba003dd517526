//go:build amd64

package tensorlib

import "golang.org/x/sys/cpu"

// The AVX2/FMA kernels of fused_amd64.s for the float32 fused ops. Each
// takes n, a multiple of 8, elements; the wrappers below run the rest
// with the pure-Go kernels, which define the arithmetic. The double-
// precision multiply-adds are exact products added once, so the fused
// instructions give the same bits as the Go code's multiply then add.

//go:noescape
func addScaledF32AVX(d, b *float32, alpha float64, n int)

//go:noescape
func addcmulF32AVX(d, b, c *float32, v float32, n int)

//go:noescape
func addcdivF32AVX(d, b, c *float32, v float32, n int)

// asmFusedKernels wraps the assembly kernels; used where the CPU has AVX2
// and FMA.
var asmFusedKernels = fusedKernels{
	addScaled32: func(d, b []float32, alpha float32) {
		b = b[:len(d)]
		m := len(d) &^ 7
		if m > 0 {
			addScaledF32AVX(&d[0], &b[0], float64(alpha), m)
		}
		addScaledGo32(d[m:], b[m:], alpha)
	},
	addcmul32: func(d, b, c []float32, v float32) {
		b, c = b[:len(d)], c[:len(d)]
		m := len(d) &^ 7
		if m > 0 {
			addcmulF32AVX(&d[0], &b[0], &c[0], v, m)
		}
		addcmulGo32(d[m:], b[m:], c[m:], v)
	},
	addcdiv32: func(d, b, c []float32, v float32) {
		b, c = b[:len(d)], c[:len(d)]
		m := len(d) &^ 7
		if m > 0 {
			addcdivF32AVX(&d[0], &b[0], &c[0], v, m)
		}
		addcdivGo32(d[m:], b[m:], c[m:], v)
	},
}

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		fusedK = asmFusedKernels
		adamKernel = adamAsm
	}
}

// adamF32AVX is adamGo for n, a multiple of 8, elements without AMSGrad or
// coupled weight decay (c.coupled and c.ams false): the maximize negation
// is an XOR with c.sign and the AdamW decay a multiply by c.decay, both
// exact identities when unused.
//
//go:noescape
func adamF32AVX(p, grad, m, v *float32, n int, c *adamConsts)

// adamAsm runs adamF32AVX where it applies and adamGo for the rest.
func adamAsm(p, g, m, v, vmax []float32, c *adamConsts) {
	if c.coupled || c.ams {
		adamGo(p, g, m, v, vmax, c)
		return
	}
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	k := len(p) &^ 7
	if k > 0 {
		adamF32AVX(&p[0], &g[0], &m[0], &v[0], k, c)
	}
	adamGo(p[k:], g[k:], m[k:], v[k:], nil, c)
}
