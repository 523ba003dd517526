package tensorlib

import (
	"flag"
	"fmt"
	"testing"
)

// benchGEMMImpl selects the kernels BenchmarkGEMM uses by name (avx512,
// avx2, go), to compare them in one session: -args -gemm.impl=avx2.
var benchGEMMImpl = flag.String("gemm.impl", "", "kernels for BenchmarkGEMM (default: the fastest this CPU runs)")

// benchGEMMMC and benchGEMMKC override the float32 cache blocking, for
// tuning: -args -gemm.mc=192 -gemm.kc=256.
var (
	benchGEMMMC = flag.Int("gemm.mc", 0, "float32 MC for BenchmarkGEMM (0: the kernel's)")
	benchGEMMKC = flag.Int("gemm.kc", 0, "float32 KC for BenchmarkGEMM (0: the kernel's)")
)

// useBenchGEMMImpl applies -gemm.impl for the benchmark.
func useBenchGEMMImpl(b *testing.B) {
	s, d, asm := sgemmImpl, dgemmImpl, hasGEMMAsm
	b.Cleanup(func() {
		sgemmImpl, dgemmImpl, hasGEMMAsm = s, d, asm
	})
	if *benchGEMMImpl != "" {
		found := false
		for i, im := range sgemmImpls {
			if im.name == *benchGEMMImpl {
				useGEMMImpls(im, dgemmImpls[i])
				found = true
			}
		}
		if !found {
			b.Fatalf("no kernel %q on this CPU", *benchGEMMImpl)
		}
	}
	if *benchGEMMMC > 0 {
		sgemmImpl.bl.mc = *benchGEMMMC
	}
	if *benchGEMMKC > 0 {
		sgemmImpl.bl.kc = *benchGEMMKC
	}
}

// Benchmarks of the packed GEMM below the tensor API. Run with
//
//	go test ./tensorlib/ -run '^$' -bench 'GEMM|Microkernel' -cpu 1,2
//
// and compare with PyTorch via `make bench`. They loop to b.N rather than
// using b.Loop: a b.Loop benchmark does all its timing in the first call,
// before go test applies the -cpu setting, so with -cpu 1,2 its "1 CPU"
// results run at GOMAXPROCS 2.

func reportGFLOPS(b *testing.B, flops float64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
	}
}

// BenchmarkMicrokernel measures each float32 and float64 microkernel
// alone on L1-resident panels (KC = 256).
func BenchmarkMicrokernel(b *testing.B) {
	for i := range sgemmImpls {
		benchMicrokernel(b, sgemmImpls[i])
		benchMicrokernel(b, dgemmImpls[i])
		if n := sgemmImpls[i].narrow; n != nil {
			benchMicrokernel(b, *n)
		}
	}
}

func benchMicrokernel[T float](b *testing.B, im gemmImpl[T]) {
	const kc = 256
	mr, nr := im.bl.mr, im.bl.nr
	var z T
	b.Run(fmt.Sprintf("%s/%T/%dx%d", im.name, z, mr, nr), func(b *testing.B) {
		ap, bp, c := make([]T, kc*mr), make([]T, kc*nr), make([]T, mr*nr)
		b.ResetTimer()
		for range b.N {
			im.kern(kc, &ap[0], 1, mr, &bp[0], &c[0], nr, nr, mr, nr)
		}
		reportGFLOPS(b, float64(2*kc*mr*nr))
	})
}

// gemmBenchShapes are square products and the products of training an MLP
// 784-256-10 with batch 128 (forward X·W, weight gradient Xᵀ·dY, input
// gradient dY·Wᵀ of both layers).
var gemmBenchShapes = []struct {
	name           string
	m, k, n        int
	transA, transB bool
}{
	// Names match the workload keys of tools/bench.
	{"sq64", 64, 64, 64, false, false},
	{"sq128", 128, 128, 128, false, false},
	{"sq256", 256, 256, 256, false, false},
	{"sq512", 512, 512, 512, false, false},
	{"sq1024", 1024, 1024, 1024, false, false},
	{"sq2048", 2048, 2048, 2048, false, false},
	{"XW1", 128, 784, 256, false, false},
	{"XtdY1", 784, 128, 256, true, false},
	{"dY1W1t", 128, 256, 784, false, true},
	{"HW2", 128, 256, 10, false, false},
	{"HtdY2", 256, 128, 10, true, false},
	{"dY2W2t", 128, 10, 256, false, true},
	// Not in tools/bench: the MLP's first layer with batches 64 and 16,
	// and convolutions' forward products (out channels × C·k·k · positions).
	{"XW1b64", 64, 784, 256, false, false},
	{"XW1b16", 16, 784, 256, false, false},
	{"conv16", 16, 144, 784, false, false},
	{"conv32", 32, 288, 196, false, false},
}

// BenchmarkGEMM measures the packed product (packing included, no tensor
// API) for float32.
func BenchmarkGEMM(b *testing.B) {
	useBenchGEMMImpl(b)
	for _, s := range gemmBenchShapes {
		b.Run(s.name, func(b *testing.B) {
			a := make([]float32, s.m*s.k)
			bb := make([]float32, s.k*s.n)
			for i := range a {
				a[i] = float32(i%7) - 3
			}
			for i := range bb {
				bb[i] = float32(i%5) - 2
			}
			am, bm := matView{0, s.k, 1}, matView{0, s.n, 1}
			if s.transA {
				am = matView{0, 1, s.m}
			}
			if s.transB {
				bm = matView{0, 1, s.k}
			}
			c := make([]float32, s.m*s.n)
			b.ResetTimer()
			for range b.N {
				clear(c)
				gemm(c, a, am, bb, bm, s.m, s.k, s.n)
			}
			reportGFLOPS(b, 2*float64(s.m*s.k*s.n))
		})
	}
	b.Run("float64/sq512", func(b *testing.B) {
		const n = 512
		a, bb, c := make([]float64, n*n), make([]float64, n*n), make([]float64, n*n)
		b.ResetTimer()
		for range b.N {
			clear(c)
			gemm(c, a, matView{0, n, 1}, bb, matView{0, n, 1}, n, n, n)
		}
		reportGFLOPS(b, 2*n*n*n)
	})
}
