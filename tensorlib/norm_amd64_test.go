//go:build amd64

package tensorlib

import (
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// TestNormKernelsAVX2 runs every row kernel of norm_f32.go with the AVX2
// kernels and with the Go ones, on rows of 0..70 elements at unaligned
// starts, with special values mixed in, and wants the same bits (any NaN
// matches any NaN: payloads are not specified).
func TestNormKernelsAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2")
	}
	testNormKernels(t, normAVX2)
}

// TestNormKernelsAVX512 is TestNormKernelsAVX2 for the AVX-512 kernels.
func TestNormKernelsAVX512(t *testing.T) {
	if !cpu.X86.HasAVX512F || !cpu.X86.HasAVX2 {
		t.Skip("no AVX-512")
	}
	testNormKernels(t, normAVX512)
}

// testNormKernels compares the kernels asm with normGo.
func testNormKernels(t *testing.T, asm normKernels) {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, -3e-39, 3e38, -3e38, 1}
	rng := rand.New(rand.NewPCG(1, 2))
	vec := func(n int, special bool) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 3)
			if special && rng.IntN(8) == 0 {
				v[i] = specials[rng.IntN(len(specials))]
			}
		}
		return v
	}
	lanes := func() [16]float64 {
		var a [16]float64
		for l := range a {
			a[l] = rng.NormFloat64() * 10
		}
		return a
	}
	for _, special := range []bool{false, true} {
		for n := 0; n <= 70; n++ {
			for off := 0; off < 4; off++ {
				x, g := vec(n+off, special)[off:], vec(n+off, special)[off:]
				w, b := widenOrOnes(vec(n+off, special), n+off)[off:], widenOrOnes(vec(n+off, special), n+off)[off:]
				m, s := rng.NormFloat64(), 0.5+rng.Float64()
				mgw, mgwx := rng.NormFloat64(), rng.NormFloat64()
				a0, a1 := lanes(), lanes()
				accW, accB := make([]float64, n), make([]float64, n)
				for j := range accW {
					accW[j], accB[j] = rng.NormFloat64(), rng.NormFloat64()
				}
				// run returns every kernel's results under k, as float64s.
				run := func(k normKernels) [][]float64 {
					prev := normK
					normK = k
					defer func() { normK = prev }()
					var res [][]float64
					f32 := func(v []float32) []float64 {
						o := make([]float64, len(v))
						for i, e := range v {
							o[i] = float64(e)
						}
						return o
					}
					acc1, acc2, acc3 := a0, a0, a0
					normRowSum(&acc1, x)
					normRowSqDev(&acc2, x, m)
					normRowSqDev32(&acc3, x, float32(m))
					res = append(res, acc1[:], acc2[:], acc3[:])
					dst := make([]float32, n)
					normRowAffine(dst, x, w, b, m, s)
					res = append(res, f32(dst))
					dst = make([]float32, n)
					normRowAffine(dst, x, w, nil, m, s)
					res = append(res, f32(dst))
					dst = make([]float32, n)
					normRowScaleShift(dst, x, m, s, mgw, mgwx)
					res = append(res, f32(dst))
					s1, s2 := lnRowSums(x, g, w, m, s)
					res = append(res, []float64{s1, s2})
					dst = make([]float32, n)
					aw, ab := append([]float64(nil), accW...), append([]float64(nil), accB...)
					lnRowDx(dst, x, g, w, aw, ab, m, s, mgw, mgwx)
					res = append(res, f32(dst), aw, ab)
					aS, aD := a0, a1
					bnRowSums(&aS, &aD, x, g, m)
					res = append(res, aS[:], aD[:])
					dst = make([]float32, n)
					bnRowDx(dst, x, g, m, mgw, mgwx, s, b0(b))
					res = append(res, f32(dst))
					return res
				}
				got, want := run(asm), run(normGo)
				for k := range want {
					for i := range want[k] {
						gv, wv := got[k][i], want[k][i]
						if math.Float64bits(gv) != math.Float64bits(wv) && !(math.IsNaN(gv) && math.IsNaN(wv)) {
							t.Fatalf("special %v, n %d, offset %d: result %d[%d] = %v (assembly), %v (Go)", special, n, off, k, i, gv, wv)
						}
					}
				}
			}
		}
	}
}

// b0 returns b's first element, or 1.5 for an empty b.
func b0(b []float64) float64 {
	if len(b) == 0 {
		return 1.5
	}
	return b[0]
}

// BenchmarkNormKernels times each row kernel on a 512-element row (in L1),
// AVX-512 (where the CPU has it), AVX2 and Go.
func BenchmarkNormKernels(b *testing.B) {
	const n = 512
	x, g, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	w, bias := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i], g[i], w[i], bias[i] = float32(i%7)-3, float32(i%5)-2, 1, 0
	}
	accW, accB := make([]float64, n), make([]float64, n)
	for _, k := range []struct {
		name string
		k    normKernels
	}{{"AVX512", normAVX512}, {"AVX2", normAVX2}, {"Go", normGo}} {
		if k.name == "AVX512" && !cpu.X86.HasAVX512F {
			continue
		}
		run := func(name string, f func()) {
			b.Run(k.name+"/"+name, func(b *testing.B) {
				prev := normK
				normK = k.k
				defer func() { normK = prev }()
				b.SetBytes(4 * n)
				for b.Loop() {
					f()
				}
			})
		}
		var acc, acc2 [16]float64
		run("sum", func() { normRowSum(&acc, x) })
		run("sqDev", func() { normRowSqDev(&acc, x, 0.5) })
		run("sqDev32", func() { normRowSqDev32(&acc, x, 0.5) })
		run("affine", func() { normRowAffine(dst, x, w, bias, 0.5, 2) })
		run("scaleShift", func() { normRowScaleShift(dst, x, 0.5, 2, 1, 0) })
		run("lnSums", func() { lnRowSums(x, g, w, 0.5, 2) })
		run("lnDx", func() { lnRowDx(dst, x, g, w, accW, accB, 0.5, 2, 0.1, 0.2) })
		run("bnSums", func() { bnRowSums(&acc, &acc2, x, g, 0.5) })
		run("bnDx", func() { bnRowDx(dst, x, g, 0.5, 0.1, 0.2, 2, 1) })
	}
}
