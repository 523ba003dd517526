package tensorlib

// A tuning aid for the GEMM kernels and blocking on a shared machine: it
// times products by the CPU time of the calling thread (locked to it, with
// GOMAXPROCS 1), which other processes' load inflates far less than wall
// time. Run
//
//	GEMMTUNE=avx2,avx512,avx512:144:384 go test ./tensorlib/ -run TuneGEMM -v
//
// to print, per product of BenchmarkGEMM, the best and median GFLOP/s of
// five rounds for each configuration: a kernel name, optionally with the
// float32 MC and KC; a name ending in /ng packs without gathers, one
// ending in /pb packs a row-major B instead of reading it in place. GEMMONLY
// (a regexp of product names) also admits the 2048² product.

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// threadCPU returns the calling thread's CPU time.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

// TestTuneGEMM runs the configurations of $GEMMTUNE (skipped without it).
func TestTuneGEMM(t *testing.T) {
	spec := os.Getenv("GEMMTUNE")
	if spec == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfgs := strings.Split(spec, ",")
	only := regexp.MustCompile(os.Getenv("GEMMONLY"))
	maxSize := 2e9
	if os.Getenv("GEMMONLY") != "" {
		maxSize = 1e11
	}
	res := map[string][]float64{}
	for round := 0; round < 5; round++ {
		for _, s := range gemmBenchShapes {
			if float64(s.m*s.n*s.k) > maxSize || !only.MatchString(s.name) {
				continue
			}
			a := make([]float32, s.m*s.k)
			bb := make([]float32, s.k*s.n)
			am, bm := matView{0, s.k, 1}, matView{0, s.n, 1}
			if s.transA {
				am = matView{0, 1, s.m}
			}
			if s.transB {
				bm = matView{0, 1, s.k}
			}
			c := make([]float32, s.m*s.n)
			for _, cfg := range cfgs {
				f := strings.Split(cfg, ":")
				sk := sgemmImpl
				for i, im := range sgemmImpls {
					if im.name == strings.TrimSuffix(strings.TrimSuffix(f[0], "/ng"), "/pb") {
						useGEMMImpls(im, dgemmImpls[i])
					}
				}
				if strings.HasSuffix(cfg, "/pb") {
					sgemmImpl.inPlaceB = false
				}
				if strings.HasSuffix(cfg, "/ng") {
					sgemmImpl.gather = nil
				}
				if len(f) > 2 {
					sgemmImpl.bl.mc, _ = strconv.Atoi(f[1])
					sgemmImpl.bl.kc, _ = strconv.Atoi(f[2])
				}
				reps := max(3, int(3e7/float64(s.m*s.n*s.k)))
				gemm(c, a, am, bb, bm, s.m, s.k, s.n)
				t0 := threadCPU()
				for range reps {
					gemm(c, a, am, bb, bm, s.m, s.k, s.n)
				}
				d := threadCPU() - t0
				res[s.name+"|"+cfg] = append(res[s.name+"|"+cfg], 2*float64(s.m*s.n*s.k*reps)/d.Seconds()/1e9)
				sgemmImpl = sk
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "%-8s", "")
	for _, c := range cfgs {
		fmt.Fprintf(&out, "%18s", c)
	}
	out.WriteString("\n")
	for _, s := range gemmBenchShapes {
		if float64(s.m*s.n*s.k) > maxSize || !only.MatchString(s.name) {
			continue
		}
		fmt.Fprintf(&out, "%-8s", s.name)
		for _, c := range cfgs {
			v := res[s.name+"|"+c]
			sort.Float64s(v)
			fmt.Fprintf(&out, "%11.1f (%4.0f)", v[len(v)-1], v[len(v)/2])
		}
		out.WriteString("\n")
	}
	fmt.Print(out.String())
}

// TestTuneGEMMScaling prints, per product, the best wall-clock GFLOP/s of
// many short rounds at one and two threads (interleaved, so that both see
// the same quiet moments of a shared machine) and their ratio. Opt-in:
// GEMMSCALING=rounds; GEMMMAXB sets gemmMaxPackedB.
func TestTuneGEMMScaling(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("GEMMSCALING"))
	if rounds == 0 {
		t.Skip()
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if v, _ := strconv.Atoi(os.Getenv("GEMMMAXB")); v > 0 {
		defer func(old int) { gemmMaxPackedB = old }(gemmMaxPackedB)
		gemmMaxPackedB = v
	}
	fmt.Printf("%-8s %8s %8s %6s\n", "", "1T", "2T", "ratio")
	for _, s := range gemmBenchShapes {
		a := make([]float32, s.m*s.k)
		bb := make([]float32, s.k*s.n)
		am, bm := matView{0, s.k, 1}, matView{0, s.n, 1}
		if s.transA {
			am = matView{0, 1, s.m}
		}
		if s.transB {
			bm = matView{0, 1, s.k}
		}
		c := make([]float32, s.m*s.n)
		reps := max(2, int(3e8/float64(s.m*s.n*s.k)))
		var best [3]float64
		for range rounds {
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				// Warm up for a millisecond: a parked helper takes some
				// 100µs to wake.
				for t0 := time.Now(); time.Since(t0) < time.Millisecond; {
					gemm(c, a, am, bb, bm, s.m, s.k, s.n)
				}
				t0 := time.Now()
				for range reps {
					gemm(c, a, am, bb, bm, s.m, s.k, s.n)
				}
				g := 2 * float64(s.m*s.n*s.k*reps) / time.Since(t0).Seconds() / 1e9
				best[procs] = max(best[procs], g)
			}
		}
		fmt.Printf("%-8s %8.1f %8.1f %6.2f\n", s.name, best[1], best[2], best[2]/best[1])
	}
}
