//go:build amd64

package tensorlib

import (
	"math"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"testing"
	"unsafe"
)

// Tests that run every variant of the float32 unary kernels this CPU
// supports (AVX-512, AVX2, pure Go) side by side: AVX-512 against AVX2 bit
// for bit, NaN payloads included, and each against float64 math within
// the op's error bound (unaryRefs).

// unaryVariant is one implementation of a unary op.
type unaryVariant struct {
	name string
	f    func(d, s []float32)
}

// unaryVariants returns the implementations of op this CPU can run, and
// separately the AVX2 kernel, the reference the AVX-512 ones (bitwise:
// those but "go") must match bit for bit, and the AVX-512 one with
// ordinary stores (nil where the CPU lacks AVX2 or AVX-512).
func unaryVariants(op unOp) (vs []unaryVariant, avx2, avx512 func(d, s []float32)) {
	if hasSIMD {
		f2 := map[unOp]unAsm{unExp: expF32, unLog: logF32, unTanh: tanhF32, unSigmoid: sigmoidF32}[op]
		avx2 = unaryAsm(f2)
		vs = append(vs, unaryVariant{"avx2", avx2})
	}
	if hasSIMD && hasAVX512Unary {
		avx512 = unaryAnyN(avx512Unary[op][0])
		vs = append(vs, unaryVariant{"avx512", avx512}, unaryVariant{"avx512nt", unaryAnyN(avx512Unary[op][1])})
	}
	vs = append(vs, unaryVariant{"go", goKernels[float32]().un[op]})
	return vs, avx2, avx512
}

// aligned64 returns n float32s starting at a 64-byte boundary.
func aligned64(n int) []float32 {
	b := make([]float32, n+16)
	skip := int((64-uintptr(unsafe.Pointer(&b[0]))%64)%64) / 4
	return b[skip : skip+n : skip+n]
}

// transcendentalInputs adds to unaryInputs the values around each
// kernel's branch points and limits, one ulp either side: exp's clamps
// and overflow/underflow thresholds, the subnormal and normal limits,
// tanh's 0.625 switch, sigmoid's saturation, and NaNs with payloads.
func transcendentalInputs(rng *rand.Rand, n int) []float32 {
	in := unaryInputs(rng, 0)
	edges := []float32{0.625, 88.8, 88.72284, 88.7, 89, -87.33655, -103.97, -104, -104.1, -150,
		0x1p-126, 0x1p-149, 0x1p-127, 1, 2, 0.5, 0.70710677, 1.4142135, 44.4, 44.36142, 9.010913, 16.635532, 0.0001, 1e-20,
		3.4028235e38, 1e30, 20, 8.3177662, 17.328679}
	for _, e := range edges {
		for _, v := range []float32{e, -e} {
			b := math.Float32bits(v)
			for d := uint32(0); d < 3; d++ {
				in = append(in, math.Float32frombits(b+d), math.Float32frombits(b-d))
			}
		}
	}
	for _, nan := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fc12345, 0xffbfffff} {
		in = append(in, math.Float32frombits(nan))
	}
	for len(in) < n {
		switch rng.Intn(4) {
		case 0:
			in = append(in, math.Float32frombits(rng.Uint32()))
		case 1:
			in = append(in, math.Float32frombits(rng.Uint32()&0x807fffff)) // ±subnormal or ±0
		case 2:
			in = append(in, float32(rng.NormFloat64()*4))
		default:
			in = append(in, float32((rng.Float64()*2-1)*120))
		}
	}
	rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	return in
}

// TestUnaryVariants checks exp, log, tanh and sigmoid: AVX-512 against
// AVX2 bit for bit on every length up to 100 and long rows at unaligned
// starts, in place and without writing past the row; and every variant
// against float64 math within the op's bound.
func TestUnaryVariants(t *testing.T) {
	if !hasSIMD || !hasAVX512Unary {
		t.Logf("AVX2 %v, AVX-512 %v: only the variants this CPU runs are compared", hasSIMD, hasAVX512Unary)
	}
	rng := rand.New(rand.NewSource(21))
	in := transcendentalInputs(rng, 1<<16)
	for _, r := range unaryRefs {
		if r.op != unExp && r.op != unLog && r.op != unTanh && r.op != unSigmoid {
			continue
		}
		vs, avx2, _ := unaryVariants(r.op)
		for _, v := range vs {
			if avx2 == nil || v.name == "go" || v.name == "avx2" {
				continue
			}
			f := v.f
			const guard = 7
			sentinel := math.Float32frombits(0x7fa5a5a5)
			lengths := []int{}
			for n := 0; n <= 100; n++ {
				lengths = append(lengths, n)
			}
			lengths = append(lengths, 1000, 4099, len(in)-5)
			for _, n := range lengths {
				// Every start within a 64-byte line, for dst and src.
				for off := 0; off < 16; off++ {
					soff := (off * 7) % 16
					src := aligned64(n + soff)[soff:]
					copy(src, in[rng.Intn(len(in)-n+1):])
					want := make([]float32, n)
					avx2(want, src)
					buf := aligned64(guard + n + off + guard)
					for i := range buf {
						buf[i] = sentinel
					}
					got := buf[guard+off : guard+off+n]
					f(got, src)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %s n=%d off=%d: (%v = %#x) = %#x, avx2 %#x", v.name, r.name, n, off, src[i], math.Float32bits(src[i]), math.Float32bits(got[i]), math.Float32bits(want[i]))
						}
					}
					for i, x := range buf {
						if (i < guard+off || i >= guard+off+n) && math.Float32bits(x) != math.Float32bits(sentinel) {
							t.Fatalf("%s %s n=%d off=%d: wrote [%d] outside the row", v.name, r.name, n, off, i-guard-off)
						}
					}
					// In place.
					f(src, src)
					for i := range want {
						if math.Float32bits(src[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s %s in place n=%d off=%d: [%d] = %#x, avx2 %#x", v.name, r.name, n, off, i, math.Float32bits(src[i]), math.Float32bits(want[i]))
						}
					}
				}
			}
		}
		out := make([]float32, len(in))
		for _, v := range vs {
			v.f(out, in)
			bound := r.ulps
			if v.name == "go" {
				bound = 0.501 // float64 math rounded once
			}
			worst, at := 0.0, float32(0)
			for i, x := range in {
				if d := ulps(out[i], r.f(float64(x))); d > worst {
					worst, at = d, x
				}
			}
			if worst > bound {
				t.Errorf("%s %s: error %.3f ulp at %v (%#x), above %.3f", v.name, r.name, worst, at, math.Float32bits(at), bound)
			}
		}
	}
}

// TestUnaryAVX512Exhaustive compares the AVX-512 exp, log, tanh and
// sigmoid with the AVX2 ones bit for bit on all 2³² float32 inputs. It
// takes about a minute, so it runs only with GT_EXHAUSTIVE=1 set.
func TestUnaryAVX512Exhaustive(t *testing.T) {
	if os.Getenv("GT_EXHAUSTIVE") == "" {
		t.Skip("set GT_EXHAUSTIVE=1 to compare all 2³² inputs")
	}
	if !hasSIMD || !hasAVX512Unary {
		t.Skip("needs AVX2 and AVX-512")
	}
	for _, r := range unaryRefs {
		if r.op != unExp && r.op != unLog && r.op != unTanh && r.op != unSigmoid {
			continue
		}
		_, avx2, avx512 := unaryVariants(r.op)
		const chunk = 1 << 20
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		mismatches := 0
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				in, a, b := make([]float32, chunk), make([]float32, chunk), make([]float32, chunk)
				for base := uint64(w) * chunk; base < 1<<32; base += uint64(workers) * chunk {
					for i := range in {
						in[i] = math.Float32frombits(uint32(base) + uint32(i))
					}
					avx2(a, in)
					avx512(b, in)
					for i := range a {
						if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
							mu.Lock()
							if mismatches < 10 {
								t.Errorf("%s(%#x): avx512 %#x, avx2 %#x", r.name, math.Float32bits(in[i]), math.Float32bits(b[i]), math.Float32bits(a[i]))
							}
							mismatches++
							mu.Unlock()
						}
					}
				}
			}(w)
		}
		wg.Wait()
		if mismatches > 0 {
			t.Errorf("%s: %d of 2³² inputs differ", r.name, mismatches)
		}
	}
}

// BenchmarkUnaryVariants times each SIMD variant of exp, log, tanh and
// sigmoid on one thread, on 16M float32 values (mem: far beyond the
// caches, the bench tool's size) and on 8K (l2: what the kernels compute
// when memory is not the limit), so that the AVX2 and AVX-512 kernels
// can be compared in the same run:
//
//	go test ./tensorlib -run X -bench UnaryVariants -cpu 1 -count 5
func BenchmarkUnaryVariants(b *testing.B) {
	rng := rand.New(rand.NewSource(22))
	for _, size := range []struct {
		name string
		n    int
	}{{"mem", 1 << 24}, {"l2", 1 << 13}} {
		n := size.n
		src, abs, dst := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
			abs[i] = float32(math.Abs(float64(src[i])))
		}
		for _, r := range unaryRefs {
			if r.op != unExp && r.op != unLog && r.op != unTanh && r.op != unSigmoid {
				continue
			}
			vs, _, _ := unaryVariants(r.op)
			for _, v := range vs {
				if v.name == "go" {
					continue
				}
				b.Run(size.name+"/"+r.name+"/"+v.name, func(b *testing.B) {
					in := src
					if r.op == unLog {
						in = abs
					}
					b.SetBytes(int64(8 * n))
					for b.Loop() {
						v.f(dst, in)
					}
				})
			}
		}
	}
}

// BenchmarkGradKernels times the activation-gradient row kernels on 16M
// float32 values on one thread: pure Go, the assembly ones with ordinary
// stores (kern32) and the big-output ones (kern32.big, non-temporal
// stores), with add as the memory-bound reference of three streams:
//
//	go test ./tensorlib -run X -bench GradKernels -cpu 1 -count 5
func BenchmarkGradKernels(b *testing.B) {
	const n = 1 << 24
	rng := rand.New(rand.NewSource(23))
	g, out, dst := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range g {
		g[i], out[i] = float32(rng.NormFloat64()), float32(rng.Float64()*2-0.5)
	}
	goK := goKernels[float32]()
	for _, op := range []struct {
		name string
		op   binOp
	}{{"add", binAdd}, {"relu", binReluGrad}, {"tanh", binTanhGrad}, {"sigmoid", binSigmoidGrad}} {
		for _, v := range []struct {
			name string
			k    *vecKernels[float32]
		}{{"go", &goK}, {"asm", &kern32}, {"big", kern32.forSize(n)}} {
			b.Run(op.name+"/"+v.name, func(b *testing.B) {
				b.SetBytes(12 * n)
				for b.Loop() {
					v.k.vv[op.op](dst, g, out)
				}
			})
		}
	}
}
