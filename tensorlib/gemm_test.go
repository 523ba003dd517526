package tensorlib

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Layouts of a test operand in its storage.
const (
	layoutRowMajor  = iota // (i, j) at off + i*ld + j
	layoutColMajor         // transposed: (i, j) at off + j*ld + i
	layoutStrided          // neither stride is 1
	layoutBroadcast        // a row broadcast down the rows: row stride 0
	numLayouts
)

// gemmOperand makes a rows×cols operand in the given layout, with pad
// extra elements per line and off elements before it. The whole storage
// is random, so reading outside the matrix shows up in the result.
func gemmOperand[T float](rng *rand.Rand, rows, cols, layout, pad, off int) ([]T, matView) {
	var mv matView
	var size int
	switch layout {
	case layoutRowMajor:
		mv = matView{off, cols + pad, 1}
		size = off + rows*(cols+pad)
	case layoutColMajor:
		mv = matView{off, 1, rows + pad}
		size = off + cols*(rows+pad)
	case layoutStrided:
		mv = matView{off, 2*cols + pad, 2}
		size = off + rows*(2*cols+pad)
	default:
		mv = matView{off, 0, 1}
		size = off + cols + pad
	}
	s := make([]T, size+1)
	for i := range s {
		s[i] = T(rng.Float64()*2 - 1)
	}
	return s, mv
}

// checkGEMM compares c (m×n, element (i, j) at i*crs+j*ccs) with A·B
// computed in float64, allowing for rounding in T relative to Σ|a||b|.
func checkGEMM[T float](t testing.TB, name string, c []T, crs, ccs int, a []T, am matView, b []T, bm matView, m, k, n int) {
	t.Helper()
	var eps float64 = 1e-5
	if _, ok := any(c).([]float64); ok {
		eps = 1e-13
	}
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for p := 0; p < k; p++ {
				x := float64(a[am.off+i*am.rs+p*am.cs]) * float64(b[bm.off+p*bm.rs+j*bm.cs])
				s += x
				mag += math.Abs(x)
			}
			got := float64(c[i*crs+j*ccs])
			if math.Abs(got-s) > eps*(mag+1e-3) || math.IsNaN(got) {
				if bad < 3 {
					t.Errorf("%s: c[%d,%d] = %v, want %v", name, i, j, got, s)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d elements wrong", name, bad, m*n)
	}
}

// gemmVariant runs the test body with one pair of kernels (impl indexes
// sgemmImpls and dgemmImpls: every kernel this CPU can run), one blocking
// (the kernel's own or tiny blocks that exercise every loop) and a thread
// count, restoring the globals afterwards.
type gemmVariant struct {
	name      string
	impl      int
	tiny      bool
	packed    bool // pack A and B even where the kernel reads them in place
	procs     int
	perWorker int
}

// gemmVariants returns the variants the shape tests run: each kernel with
// one and two threads, and with tiny blocks.
func gemmVariants() []gemmVariant {
	var vs []gemmVariant
	for i, im := range sgemmImpls {
		vs = append(vs,
			gemmVariant{name: im.name + "/1", impl: i, procs: 1},
			gemmVariant{name: im.name + "/2", impl: i, procs: 2, perWorker: 1},
			gemmVariant{name: im.name + "/3/tiny-blocks", impl: i, procs: 3, perWorker: 1, tiny: true},
			gemmVariant{name: im.name + "/1/tiny-blocks", impl: i, procs: 1, tiny: true})
		if im.inPlaceA || im.inPlaceB {
			vs = append(vs,
				gemmVariant{name: im.name + "/1/packed", impl: i, procs: 1, packed: true},
				gemmVariant{name: im.name + "/2/packed/tiny-blocks", impl: i, procs: 2, perWorker: 1, packed: true, tiny: true})
		}
	}
	return vs
}

// TestGEMMImpls checks that the kernel lists are parallel and that the
// kernels in use are the first.
func TestGEMMImpls(t *testing.T) {
	if len(sgemmImpls) != len(dgemmImpls) {
		t.Fatalf("%d float32 kernels, %d float64", len(sgemmImpls), len(dgemmImpls))
	}
	for i := range sgemmImpls {
		if sgemmImpls[i].name != dgemmImpls[i].name {
			t.Errorf("kernel %d: %s and %s", i, sgemmImpls[i].name, dgemmImpls[i].name)
		}
	}
	if sgemmImpl.name != sgemmImpls[0].name || dgemmImpl.name != dgemmImpls[0].name {
		t.Errorf("kernels in use %s %s, want the first", sgemmImpl.name, dgemmImpl.name)
	}
	if sgemmImpls[len(sgemmImpls)-1].name != "go" {
		t.Errorf("the pure-Go kernel is not listed last")
	}
	t.Logf("kernels: %v", func() (ns []string) {
		for _, im := range sgemmImpls {
			ns = append(ns, im.name)
		}
		return
	}())
}

func (v gemmVariant) apply(t testing.TB) {
	s32, d32 := sgemmImpl, dgemmImpl
	asm := hasGEMMAsm
	pw, minF, maxB := gemmFlopsPerWorker, gemmMinFlops, gemmMaxPackedB
	procs := runtime.GOMAXPROCS(v.procs)
	t.Cleanup(func() {
		sgemmImpl, dgemmImpl = s32, d32
		hasGEMMAsm = asm
		gemmFlopsPerWorker, gemmMinFlops, gemmMaxPackedB = pw, minF, maxB
		runtime.GOMAXPROCS(procs)
	})
	useGEMMImpls(sgemmImpls[v.impl], dgemmImpls[v.impl])
	if v.tiny {
		sgemmImpl = tinyBlocks(sgemmImpl, 2, 7)
		dgemmImpl = tinyBlocks(dgemmImpl, 3, 5)
		gemmMaxPackedB = 600
	}
	if v.packed {
		sgemmImpl = packedOnly(sgemmImpl)
		dgemmImpl = packedOnly(dgemmImpl)
	}
	if v.perWorker > 0 {
		gemmFlopsPerWorker = v.perWorker
	}
	gemmMinFlops = 0
}

// tinyBlocks returns im (and its narrow kernel) with blocks of mcPanels
// row panels and kc columns.
func tinyBlocks[T float](im gemmImpl[T], mcPanels, kc int) gemmImpl[T] {
	im.bl.mc, im.bl.kc = mcPanels*im.bl.mr, kc
	if im.narrow != nil {
		n := tinyBlocks(*im.narrow, mcPanels, kc)
		im.narrow = &n
	}
	return im
}

// packedOnly returns im (and its narrow kernel) packing both operands.
func packedOnly[T float](im gemmImpl[T]) gemmImpl[T] {
	im.inPlaceA, im.inPlaceB = false, false
	if im.narrow != nil {
		n := packedOnly(*im.narrow)
		im.narrow = &n
	}
	return im
}

// goKernels reports whether the variant uses the pure-Go kernels.
func (v gemmVariant) goKernels() bool { return sgemmImpls[v.impl].name == "go" }

// runGEMMCase multiplies random operands of the given shape and layouts
// with gemm (the entry point MatMul uses) and checks the result.
func runGEMMCase[T float](t testing.TB, rng *rand.Rand, m, k, n, la, lb, pad, off int) {
	t.Helper()
	arows := m
	if la == layoutBroadcast {
		arows = 1
	}
	a, am := gemmOperand[T](rng, arows, k, la, pad, off)
	b, bm := gemmOperand[T](rng, k, n, lb, pad+1, off+3)
	// Guard values after C catch writes past its end.
	const guard = 40
	cg := make([]T, m*n+guard)
	for i := m * n; i < len(cg); i++ {
		cg[i] = 12345
	}
	c := cg[: m*n : m*n]
	gemm(c, a, am, b, bm, m, k, n)
	name := fmt.Sprintf("%T %dx%dx%d layouts %d,%d pad %d off %d", c[0], m, k, n, la, lb, pad, off)
	checkGEMM(t, name, c, n, 1, a, am, b, bm, m, k, n)
	for i := m * n; i < len(cg); i++ {
		if cg[i] != 12345 {
			t.Fatalf("%s: wrote past the end of C (element %d)", name, i-m*n)
		}
	}
}

// TestGEMMKernelColumns checks each microkernel alone for every number
// of valid rows and columns: those past m and n must be neither read nor
// written.
func TestGEMMKernelColumns(t *testing.T) {
	for i := range sgemmImpls {
		t.Run(sgemmImpls[i].name, func(t *testing.T) {
			testKernelColumns(t, sgemmImpls[i])
			testKernelColumns(t, dgemmImpls[i])
			if n := sgemmImpls[i].narrow; n != nil {
				testKernelColumns(t, *n)
			}
			if n := dgemmImpls[i].narrow; n != nil {
				testKernelColumns(t, *n)
			}
		})
	}
}

func testKernelColumns[T float](t *testing.T, im gemmImpl[T]) {
	mr, nr := im.bl.mr, im.bl.nr
	rng := rand.New(rand.NewPCG(8, uint64(nr)))
	ldc := nr + 5
	for _, k := range []int{1, 4, 13} {
		for _, ldb := range []int{nr, nr + 3} {
			for m := 1; m <= mr; m++ {
				for n := 1; n <= nr; n++ {
					ap := make([]T, mr*k)
					bp := make([]T, (k-1)*ldb+nr)
					for i := range ap {
						ap[i] = T(rng.IntN(9) - 4)
					}
					for i := range bp {
						bp[i] = T(rng.IntN(9) - 4)
					}
					c := make([]T, (mr+1)*ldc)
					for i := range c {
						c[i] = T(i)
					}
					im.kern(k, &ap[0], 1, mr, &bp[0], &c[0], ldc, n, m, ldb)
					for i := 0; i <= mr; i++ {
						for j := 0; j < ldc; j++ {
							want := T(i*ldc + j)
							if i < m && j < n {
								for p := 0; p < k; p++ {
									want += ap[p*mr+i] * bp[p*ldb+j]
								}
							}
							if got := c[i*ldc+j]; got != want {
								t.Fatalf("%s %T k=%d ldb=%d m=%d n=%d: c[%d,%d] = %v, want %v", im.name, got, k, ldb, m, n, i, j, got, want)
							}
						}
					}
				}
			}
		}
	}
}

func TestGEMMRandomShapes(t *testing.T) {
	for _, v := range gemmVariants() {
		t.Run(v.name, func(t *testing.T) {
			v.apply(t)
			rng := rand.New(rand.NewPCG(1, uint64(len(v.name))))
			cases := 150
			if testing.Short() {
				cases = 40
			}
			for range cases {
				m, k, n := 1+rng.IntN(67), 1+rng.IntN(67), 1+rng.IntN(67)
				la, lb := rng.IntN(numLayouts), rng.IntN(numLayouts-1)
				pad, off := rng.IntN(3), rng.IntN(5)
				runGEMMCase[float32](t, rng, m, k, n, la, lb, pad, off)
				runGEMMCase[float64](t, rng, m, k, n, la, lb, pad, off)
			}
		})
	}
}

// TestGEMMEdgeShapes covers the shapes where the blocking changes: one
// tile, one tile plus one, thin products that are computed as Cᵀ = Bᵀ·Aᵀ,
// and sizes that span several MC, KC and NC blocks.
func TestGEMMEdgeShapes(t *testing.T) {
	shapes := [][3]int{
		{1, 1, 1}, {6, 1, 16}, {6, 7, 16}, {7, 1, 17}, {5, 3, 15}, {12, 300, 32},
		{128, 40, 10}, {10, 40, 128}, {1, 64, 100}, {100, 64, 1}, {2, 530, 3},
		{67, 67, 67}, {145, 257, 33}, {73, 9, 4100}, {300, 20, 5},
		{12, 5, 32}, {13, 1, 33}, {11, 3, 31}, {24, 300, 64}, {25, 17, 65}, {36, 200, 48},
	}
	for _, v := range gemmVariants() {
		t.Run(v.name, func(t *testing.T) {
			v.apply(t)
			rng := rand.New(rand.NewPCG(2, 3))
			for _, s := range shapes {
				if v.goKernels() && s[0]*s[1]*s[2] > 1<<19 {
					continue
				}
				for la := 0; la < layoutBroadcast; la++ {
					runGEMMCase[float32](t, rng, s[0], s[1], s[2], la, (la+1)%layoutBroadcast, 1, 2)
					runGEMMCase[float64](t, rng, s[0], s[1], s[2], la, la, 0, 0)
				}
			}
		})
	}
}

// TestGEMMLarge checks products big enough to use the production blocking
// with several K and M blocks and both ways of splitting work.
func TestGEMMLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large products")
	}
	for i, im := range sgemmImpls {
		if im.name == "go" {
			continue
		}
		for _, procs := range []int{1, 2} {
			t.Run(fmt.Sprint(im.name, "/", procs), func(t *testing.T) {
				gemmVariant{impl: i, procs: procs}.apply(t)
				rng := rand.New(rand.NewPCG(4, 5))
				shapes := [][3]int{{300, 600, 200}, {128, 784, 256}, {784, 128, 256}, {20, 700, 500}, {256, 128, 10}, {10, 300, 256}}
				for i, s := range shapes {
					if i%2 == 0 {
						runGEMMCase[float32](t, rng, s[0], s[1], s[2], layoutRowMajor, layoutColMajor, 0, 0)
					} else {
						runGEMMCase[float32](t, rng, s[0], s[1], s[2], layoutColMajor, layoutRowMajor, 0, 0)
					}
					runGEMMCase[float64](t, rng, s[0], s[1], s[2], layoutRowMajor, layoutRowMajor, 0, 1)
				}
			})
		}
	}
}

// TestGEMMStridedC checks the transposed output used for thin products and
// the kernels' accumulation into C (C += A·B).
func TestGEMMStridedC(t *testing.T) {
	for _, v := range gemmVariants() {
		t.Run(v.name, func(t *testing.T) {
			v.apply(t)
			rng := rand.New(rand.NewPCG(6, 7))
			for _, s := range [][3]int{{20, 30, 40}, {7, 13, 3}, {64, 64, 64}} {
				m, k, n := s[0], s[1], s[2]
				a, am := gemmOperand[float32](rng, m, k, layoutRowMajor, 0, 0)
				b, bm := gemmOperand[float32](rng, k, n, layoutColMajor, 0, 0)
				// C column-major, pre-filled: the result is added.
				c := make([]float32, m*n)
				for i := range c {
					c[i] = 1
				}
				packedGEMM(c, 1, m, a, am, b, bm, m, k, n, sgemmImpl)
				for i := range c {
					c[i]--
				}
				checkGEMM(t, fmt.Sprint(s), c, 1, m, a, am, b, bm, m, k, n)
			}
		})
	}
}

// TestMatMulFastPathViews runs the fast path through MatMul on views:
// transposes, narrowed (offset) operands and broadcast batches, against the
// same product of contiguous copies computed by the reference kernel.
func TestMatMulFastPathViews(t *testing.T) {
	ManualSeed(3)
	big := Randn(3, 70, 90)
	cases := []struct {
		name string
		a, b *Tensor
	}{
		{"AT·B", Randn(40, 33).T(), Randn(40, 50)},
		{"A·BT", Randn(33, 40), Randn(50, 40).T()},
		{"narrowed", big.Select(1, 2).Narrow(1, 3, 41), big.Select(0, 1).Narrow(0, 5, 41)},
		{"batched", Randn(4, 2, 19, 23), Randn(2, 23, 29)},
		{"batched transposed", Randn(3, 23, 19).Transpose(-1, -2), Randn(3, 29, 23).Transpose(-1, -2)},
		{"float64", Randn(31, 47).To(Float64), Randn(47, 18).To(Float64)},
		{"thin", Randn(128, 64), Randn(64, 10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.a.MatMul(tc.b)
			saved := gemmMinFlops
			gemmMinFlops = math.MaxInt
			want := tc.a.Contiguous().MatMul(tc.b.Contiguous())
			gemmMinFlops = saved
			if fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
				t.Fatalf("shape %v, want %v", got.Shape(), want.Shape())
			}
			g, w := got.To(Float64).Float64s(), want.To(Float64).Float64s()
			for i := range g {
				if math.Abs(g[i]-w[i]) > 1e-4*(1+math.Abs(w[i])) {
					t.Fatalf("element %d: %v, want %v", i, g[i], w[i])
				}
			}
		})
	}
}

// TestGEMMInterrupt checks that an interrupt stops single- and
// multi-threaded products with ErrInterrupted and leaves no worker behind.
func TestGEMMInterrupt(t *testing.T) {
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprint(procs), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			x, y := Ones(200, 300), Ones(300, 400)
			x.MatMul(y) // start the helpers
			before := runtime.NumGoroutine()
			Interrupt()
			err := Catch(func() { x.MatMul(y) })
			ResetInterrupt()
			if !errors.Is(err, ErrInterrupted) {
				t.Fatalf("got %v, want ErrInterrupted", err)
			}
			if after := runtime.NumGoroutine(); after > before {
				t.Errorf("%d goroutines left running", after-before)
			}
			if got := x.MatMul(y).Float32s()[0]; got != 300 {
				t.Errorf("after reset: %v, want 300", got)
			}
		})
	}
}

// FuzzGEMMShapes multiplies random shapes and layouts with two workers
// and each kernel this CPU can run, with its own or the tiny blocking.
func FuzzGEMMShapes(f *testing.F) {
	f.Add(uint8(7), uint8(5), uint8(17), uint8(0), uint64(1))
	f.Add(uint8(128), uint8(3), uint8(10), uint8(0x13), uint64(2))
	f.Add(uint8(1), uint8(200), uint8(1), uint8(0x21), uint64(3))
	f.Add(uint8(25), uint8(9), uint8(33), uint8(0x80), uint64(4))
	f.Fuzz(func(t *testing.T, m, k, n, layouts uint8, seed uint64) {
		if m == 0 || k == 0 || n == 0 {
			return
		}
		for i := range sgemmImpls {
			t.Run(sgemmImpls[i].name, func(t *testing.T) {
				v := gemmVariant{impl: i, procs: 2, perWorker: 1, tiny: layouts&0x80 != 0}
				v.apply(t)
				rng := rand.New(rand.NewPCG(seed, 9))
				la, lb := int(layouts&3), int(layouts>>2&3)%(numLayouts-1)
				pad, off := int(layouts>>4&1), int(layouts>>5&3)
				runGEMMCase[float32](t, rng, int(m), int(k), int(n), la, lb, pad, off)
				runGEMMCase[float64](t, rng, int(m), int(k), int(n), la, lb, pad, off)
			})
		}
	})
}

// TestGEMMGather checks the panel gathers of each kernel that has them, for
// every number of lanes and a few steps and strides (0 included: a
// broadcast operand).
func TestGEMMGather(t *testing.T) {
	for i := range sgemmImpls {
		if g := sgemmImpls[i].gather; g != nil {
			testGather(t, g, 32)
		}
		if g := dgemmImpls[i].gather; g != nil {
			testGather(t, g, 16)
		}
	}
}

func testGather[T float](t *testing.T, gather func(dst, src *T, k, step, stride, lanes, width int), maxLanes int) {
	rng := rand.New(rand.NewPCG(10, uint64(maxLanes)))
	for width := 1; width <= maxLanes; width++ {
		for lanes := 1; lanes <= width; lanes++ {
			for _, ss := range [][2]int{{1, 37}, {40, 1}, {3, 0}, {0, 5}, {2, 3}, {1, 1}} {
				step, stride := ss[0], ss[1]
				k := 1 + rng.IntN(9)
				src := make([]T, (k-1)*step+(lanes-1)*stride+1)
				for j := range src {
					src[j] = T(1 + rng.IntN(1000))
				}
				dst := make([]T, k*width+3)
				for j := range dst {
					dst[j] = -1
				}
				gather(&dst[0], &src[0], k, step, stride, lanes, width)
				for p := 0; p < k; p++ {
					for l := 0; l < width; l++ {
						var want T
						if l < lanes {
							want = src[p*step+l*stride]
						}
						if got := dst[p*width+l]; got != want {
							t.Fatalf("%T lanes %d width %d step %d stride %d: dst[%d,%d] = %v, want %v", got, lanes, width, step, stride, p, l, got, want)
						}
					}
				}
				for j := k * width; j < len(dst); j++ {
					if dst[j] != -1 {
						t.Fatalf("%T lanes %d width %d: wrote past the panel", dst[0], lanes, width)
					}
				}
			}
		}
	}
}

// TestGEMMTranspose checks the panel transposes of each kernel that has
// them, for several blocks of rows and column strides.
func TestGEMMTranspose(t *testing.T) {
	for _, im := range sgemmImpls {
		if im.transpose == nil {
			continue
		}
		nr := im.bl.nr
		for _, cs := range []int{16, 17, 40, 1000} {
			for blocks := 1; blocks <= 3; blocks++ {
				k := 16 * blocks
				src := make([]float32, (nr-1)*cs+k)
				for i := range src {
					src[i] = float32(i)
				}
				dst := make([]float32, k*nr+3)
				im.transpose(&dst[0], &src[0], blocks, cs)
				for p := 0; p < k; p++ {
					for j := 0; j < nr; j++ {
						if got, want := dst[p*nr+j], src[j*cs+p]; got != want {
							t.Fatalf("%s cs %d blocks %d: dst[%d,%d] = %v, want %v", im.name, cs, blocks, p, j, got, want)
						}
					}
				}
				for _, v := range dst[k*nr:] {
					if v != 0 {
						t.Fatalf("%s: wrote past the panel", im.name)
					}
				}
			}
		}
	}
}
