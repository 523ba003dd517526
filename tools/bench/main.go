// Command bench is `make bench`: it times gt's matrix products,
// elementwise kernels and sum on 16M float32 values, and three training
// workloads (the seed walkthrough, an MLP trained with Adam, a small CNN;
// train.go) through the public API, the same workloads in PyTorch
// (tools/bench/torch_bench.py, run with /usr/bin/python3), and the raw
// packed GEMM (BenchmarkGEMM in tensorlib, run with go test), for 1 and 2
// threads, and prints one table per thread count. Elementwise rows also
// show their bandwidth against a copy's, measured between their rounds;
// training rows show the share of gt's CPU time spent collecting garbage.
//
// The machine is shared: gt and torch measurements of each workload are
// interleaved round by round, the table shows medians over the rounds and
// their spread, and the last line says how much CPU other processes used
// during the run. Without torch (or /usr/bin/python3) it prints gt's
// numbers only.
//
//	go run ./tools/bench [-rounds 5] [-mintime 150ms] [-threads 1,2] [-raw=false] [-torch=false] [-only regexp]
//
// Debian's torch uses whichever BLAS the libblas.so.3 alternative points
// to; the header names it. To compare with OpenBLAS without installing it
// system-wide, point LD_LIBRARY_PATH at an unpacked libopenblas0-pthread.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
)

// workload is one timed operation. Key also names the sub-benchmark of
// tensorlib's BenchmarkGEMM that times the same product below the API.
type workload struct {
	key, label string
	kind       string // "mm"; "add", "mul", "exp", "tanh", "sum"; "walk", "mlp", "cnn", "layernorm", "batchnorm", "conv"
	m, k, n    int
	ta, tb     bool // operand is the transpose of a contiguous tensor
	batch      int  // mm: a batch of this many products (torch.bmm), 0 for one
	size       int  // elementwise: number of float32 values
}

// flops is the work of one product (2mkn), zero for elementwise ops.
func (w workload) flops() float64 {
	return 2 * float64(max(1, w.batch)) * float64(w.m) * float64(w.k) * float64(w.n)
}

func mm(key, label string, m, k, n int, ta, tb bool) workload {
	return workload{key: key, label: label, kind: "mm", m: m, k: k, n: n, ta: ta, tb: tb}
}

var workloads = []workload{
	mm("sq64", "sgemm 64", 64, 64, 64, false, false),
	mm("sq128", "sgemm 128", 128, 128, 128, false, false),
	mm("sq256", "sgemm 256", 256, 256, 256, false, false),
	mm("sq512", "sgemm 512", 512, 512, 512, false, false),
	mm("sq1024", "sgemm 1024", 1024, 1024, 1024, false, false),
	mm("sq2048", "sgemm 2048", 2048, 2048, 2048, false, false),
	// An MLP 784-256-10 trained with batch 128, weights stored in×out:
	// forward X·W, weight gradient Xᵀ·dY, input gradient dY·Wᵀ.
	mm("XW1", "X·W1 128×784·784×256", 128, 784, 256, false, false),
	mm("XtdY1", "Xᵀ·dY1 784×128·128×256", 784, 128, 256, true, false),
	mm("dY1W1t", "dY1·W1ᵀ 128×256·256×784", 128, 256, 784, false, true),
	mm("HW2", "H·W2 128×256·256×10", 128, 256, 10, false, false),
	mm("HtdY2", "Hᵀ·dY2 256×128·128×10", 256, 128, 10, true, false),
	mm("dY2W2t", "dY2·W2ᵀ 128×10·10×256", 128, 10, 256, false, true),
	// Attention scores for batch 8 × 8 heads, sequence 128, head size 64.
	{key: "bmm", label: "bmm 64×(128×64·64×128)", kind: "mm", m: 128, k: 64, n: 128, batch: 64},
	{key: "add", label: "add 16M float32", kind: "add", size: 1 << 24},
	{key: "mul", label: "mul 16M float32", kind: "mul", size: 1 << 24},
	{key: "exp", label: "exp 16M float32", kind: "exp", size: 1 << 24},
	{key: "tanh", label: "tanh 16M float32", kind: "tanh", size: 1 << 24},
	{key: "sum", label: "sum 16M float32", kind: "sum", size: 1 << 24},
	{key: "walk", label: "walkthrough 100 epochs", kind: "walk"},
	{key: "mlp", label: "MLP Adam 200 steps", kind: "mlp"},
	{key: "cnn", label: "CNN SGD step b64", kind: "cnn"},
	{key: "layernorm", label: "LayerNorm 2048×512 fwd+bwd", kind: "layernorm"},
	{key: "batchnorm", label: "BatchNorm2d 64×16×26² fwd+bwd", kind: "batchnorm"},
	{key: "conv", label: "Conv2d 32→64 3×3 14² b64 f+b", kind: "conv"},
}

// elementwise reports whether w is a 16M-element op, timed in ms and GB/s.
func (w workload) elementwise() bool {
	switch w.kind {
	case "add", "mul", "exp", "tanh", "sum":
		return true
	}
	return false
}

// training reports whether w is a training workload (timed in ms, with
// the share of gt's CPU time spent in the garbage collector).
func (w workload) training() bool {
	switch w.kind {
	case "walk", "mlp", "cnn", "layernorm", "batchnorm", "conv":
		return true
	}
	return false
}

// bytes is the memory an elementwise op reads and writes, counted as
// STREAM counts it (each array once).
func (w workload) bytes() float64 {
	switch w.kind {
	case "add", "mul":
		return 12 * float64(w.size)
	case "sum":
		return 4 * float64(w.size)
	}
	return 8 * float64(w.size)
}

func main() {
	rounds := flag.Int("rounds", 5, "measurements per workload and thread count (medians are reported)")
	mintime := flag.Duration("mintime", 150*time.Millisecond, "minimum time of one measurement")
	threadList := flag.String("threads", "1,2", "thread counts (GOMAXPROCS for gt, torch.set_num_threads for torch)")
	python := flag.String("python", "/usr/bin/python3", "Python with torch")
	goCmd := flag.String("go", "go", "the go command (for the raw kernel benchmark)")
	script := flag.String("script", "tools/bench/torch_bench.py", "the PyTorch side")
	useTorch := flag.Bool("torch", true, "compare with PyTorch")
	raw := flag.Bool("raw", true, "also run tensorlib's BenchmarkGEMM (go test) for the raw kernel")
	only := flag.String("only", "", "regexp: run only the workloads whose key matches")
	flag.Parse()

	threads, err := parseInts(*threadList)
	if err != nil || len(threads) == 0 {
		fmt.Fprintln(os.Stderr, "bench: bad -threads:", *threadList)
		os.Exit(2)
	}
	sel := workloads
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: bad -only:", err)
			os.Exit(2)
		}
		sel = nil
		for _, w := range workloads {
			if re.MatchString(w.key) {
				sel = append(sel, w)
			}
		}
	}

	start, load0 := time.Now(), readCPUStat()
	printHeader()

	// The memory bandwidth reference, measured first on a quiet machine
	// and again between the rounds of the elementwise rows.
	startBW := make(map[int]float64)
	for _, t := range threads {
		prev := runtime.GOMAXPROCS(t)
		startBW[t] = copyBandwidth(t, 8)
		runtime.GOMAXPROCS(prev)
	}

	var rawRes map[string]map[int][]float64
	if *raw {
		rawRes = runRawBench(*goCmd, threads, *rounds)
	}
	var torch *torchProc
	if *useTorch {
		torch = startTorch(*python, *script)
	}
	if torch != nil {
		fmt.Printf("torch %s, BLAS %s\n", torch.hello.Torch, describeBLAS(torch.hello.BLAS))
	} else {
		fmt.Println("torch: not available, gt numbers only")
	}
	fmt.Printf("medians of %d rounds of at least %v each, gt and torch interleaved; spread = (max-min)/median over the rounds\n", *rounds, *mintime)
	fmt.Println("ratio = gt speed / torch speed (above 1: gt is faster)")

	results := make(map[int][]row)
	for _, t := range threads {
		for _, w := range sel {
			results[t] = append(results[t], measureRow(w, t, *rounds, *mintime, torch))
		}
		printTable(t, results[t], rawRes, startBW[t])
	}
	if torch != nil {
		torch.close()
	}
	others := otherLoad(load0, readCPUStat(), time.Since(start))
	verdict := "quiet"
	switch {
	case others > 0.25:
		verdict = "very noisy: rerun when the machine is idle"
	case others > 0.05:
		verdict = "noisy"
	}
	fmt.Printf("\nother processes used %.0f%% of the machine's %d CPUs during the run (%s); total %v\n",
		100*others, runtime.NumCPU(), verdict, time.Since(start).Round(time.Second))
}

// cooldown separates a torch measurement from the next gt one.
const cooldown = 250 * time.Millisecond

// row is one workload's measurements at one thread count: seconds per
// operation for each round.
type row struct {
	w         workload
	gt, torch []float64
	gc        float64   // gt's GC CPU time over its available CPU time
	bw        []float64 // elementwise: memory bandwidth measured each round
}

// measureRow warms both sides up, then alternates gt and torch
// measurements round by round.
func measureRow(w workload, threads, rounds int, mintime time.Duration, torch *torchProc) row {
	prev := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(prev)
	op := gtOp(w)
	op()
	r := row{w: w}
	if torch != nil && !torch.request(w, threads, 0, true) {
		torch = nil
	}
	var gcCPU, wall float64
	for i := 0; i < rounds; i++ {
		gc0, t0 := gcSeconds(), time.Now()
		r.gt = append(r.gt, timeOp(op, mintime))
		gcCPU += gcSeconds() - gc0
		wall += time.Since(t0).Seconds()
		if w.elementwise() {
			r.bw = append(r.bw, copyBandwidth(threads, 3))
		}
		if torch != nil {
			if sec, ok := torch.measure(w, threads, mintime); ok {
				r.torch = append(r.torch, sec)
			}
			// BLAS threads (OpenBLAS's) keep spinning for a while after
			// a call; let them go to sleep before gt is timed again.
			time.Sleep(cooldown)
		}
	}
	r.gc = gcCPU / (wall * float64(threads))
	runtime.GC()
	return r
}

// gcSeconds is the CPU time the Go runtime has spent in garbage collection.
func gcSeconds() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}

// gtOp builds the operands of w once and returns the timed operation.
func gtOp(w workload) func() {
	tl.ManualSeed(1)
	switch w.kind {
	case "mm":
		var a, b *tl.Tensor
		if w.ta {
			a = tl.Randn(w.k, w.m).T()
		} else {
			a = tl.Randn(w.m, w.k)
		}
		if w.tb {
			b = tl.Randn(w.n, w.k).T()
		} else {
			b = tl.Randn(w.k, w.n)
		}
		if w.batch > 0 {
			a, b = tl.Randn(w.batch, w.m, w.k), tl.Randn(w.batch, w.k, w.n)
		}
		return func() { a.MatMul(b) }
	case "add", "mul", "exp", "tanh", "sum":
		a, b := tl.Randn(w.size), tl.Randn(w.size)
		switch w.kind {
		case "add":
			return func() { a.Add(b) }
		case "mul":
			return func() { a.Mul(b) }
		case "tanh":
			return func() { a.Tanh() }
		case "sum":
			return func() { a.Sum() }
		}
		return func() { a.Exp() }
	case "walk":
		return walkthroughOp()
	case "mlp":
		return mlpOp()
	case "cnn":
		return cnnOp()
	case "layernorm":
		return layerNormOp()
	case "batchnorm":
		return batchNormOp()
	case "conv":
		return convOp()
	}
	panic("bench: unknown workload kind " + w.kind)
}

// timeOp returns the seconds per call of op, calling it until mintime has
// passed (at least once).
func timeOp(op func(), mintime time.Duration) float64 {
	n, start := 0, time.Now()
	for {
		op()
		n++
		if el := time.Since(start); el >= mintime {
			return el.Seconds() / float64(n)
		}
	}
}

// printTable prints one thread count's results: GFLOP/s for products; ms
// and GB/s (with the share of the measured memory bandwidth, bw) for the
// 16M elementwise ops; ms and gt's GC share for training.
func printTable(threads int, rows []row, rawRes map[string]map[int][]float64, startBW float64) {
	bw := startBW
	bws := []float64{startBW}
	for _, r := range rows {
		bws = append(bws, r.bw...)
		for _, b := range r.bw {
			bw = max(bw, b)
		}
	}
	fmt.Printf("\nthreads: %d   (memory bandwidth bw: copy of 16M float32, best %.1f GB/s; first %.1f, median %.1f)\n",
		threads, bw/1e9, startBW/1e9, median(bws)/1e9)
	fmt.Printf("%-26s %-9s %9s %9s %9s %7s %13s  %s\n", "workload", "unit", "gt", "gt raw", "torch", "ratio", "spread gt/tt", "notes")
	for _, r := range rows {
		gt, tt := median(r.gt), median(r.torch)
		unit := "GFLOP/s"
		val := func(sec float64) float64 { return r.w.flops() / sec / 1e9 }
		if r.w.kind != "mm" {
			unit = "ms"
			val = func(sec float64) float64 { return sec * 1e3 }
		}
		rawS := "-"
		if v := median(rawRes[r.w.key][threads]); !math.IsNaN(v) {
			rawS = fmt.Sprintf("%.1f", v)
		}
		tS, ratio, tSpread := "-", "-", "-"
		if !math.IsNaN(tt) {
			tS = fmt.Sprintf("%.3g", val(tt))
			ratio = fmt.Sprintf("%.2f", tt/gt)
			tSpread = fmt.Sprintf("%.0f%%", 100*spread(r.torch))
		}
		notes := ""
		switch {
		case r.w.elementwise():
			notes = fmt.Sprintf("gt %.1f GB/s (%.0f%% of bw)", r.w.bytes()/gt/1e9, 100*r.w.bytes()/gt/bw)
			if !math.IsNaN(tt) {
				notes += fmt.Sprintf(", torch %.1f GB/s", r.w.bytes()/tt/1e9)
			}
		case r.w.training():
			notes = fmt.Sprintf("gt GC %.1f%% of CPU", 100*r.gc)
		}
		fmt.Printf("%-26s %-9s %9.3g %9s %9s %7s %6.0f%%/%-5s  %s\n", r.w.label, unit, val(gt), rawS, tS, ratio, 100*spread(r.gt), tSpread, notes)
	}
}

// copyBandwidth measures the memory bandwidth the elementwise rows are
// compared with: copying 16M float32 values (64 MiB) between existing
// buffers with Go's copy (the runtime's memmove: AVX, with non-temporal
// stores for the whole arrays, ordinary ones 128 KiB at a time), split
// between the given number of goroutines (GOMAXPROCS is already threads),
// counting the bytes read and written as STREAM does; the best of runs of
// both kinds, in bytes per second. The reference is the
// largest value measured: before the workloads, and between the rounds of
// each elementwise row (the machine's bandwidth varies with its
// neighbours' load). On a CPU whose last-level cache holds the 16M
// workloads' arrays, they can run above it.
func copyBandwidth(threads, runs int) float64 {
	const n = 1 << 24
	if copyBufs[0] == nil {
		copyBufs[0], copyBufs[1] = make([]float32, n), make([]float32, n)
		for i := range copyBufs[1] {
			copyBufs[0][i], copyBufs[1][i] = 1, 2
		}
	}
	a, b := copyBufs[0], copyBufs[1]
	best := math.Inf(1)
	for run := 0; run < 2*runs; run++ {
		// Odd runs copy 128 KiB at a time: memmove then uses ordinary
		// stores, faster where the arrays stay in the last-level cache.
		piece := n
		if run%2 == 1 {
			piece = 1 << 15
		}
		start := time.Now()
		done := make(chan struct{})
		for t := 0; t < threads; t++ {
			lo, hi := t*n/threads, (t+1)*n/threads
			go func() {
				for i := lo; i < hi; i += piece {
					copy(a[i:min(i+piece, hi)], b[i:min(i+piece, hi)])
				}
				done <- struct{}{}
			}()
		}
		for t := 0; t < threads; t++ {
			<-done
		}
		best = min(best, time.Since(start).Seconds())
	}
	return 8 * n / best
}

var copyBufs [2][]float32

func printHeader() {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.*)$`).FindSubmatch(b); m != nil {
			model = string(m[1])
		}
	}
	fmt.Printf("gt bench: %s, %d CPUs, %s %s/%s, gt kernels: %s\n",
		model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, strings.Join(tl.Backends(), ", "))
}

// describeBLAS names the BLAS torch loaded.
func describeBLAS(libs []string) string {
	if len(libs) == 0 {
		return "unknown (none loaded)"
	}
	var names []string
	for _, l := range libs {
		base := filepath.Base(l)
		switch {
		case strings.Contains(l, "openblas"):
			if !strings.Contains(base, "openblas") {
				continue
			}
			names = append(names, "OpenBLAS ("+l+")")
		case strings.Contains(l, "mkl"):
			names = append(names, "MKL ("+l+")")
		case strings.Contains(l, "/blas/libblas"):
			names = append(names, "reference BLAS, unoptimised ("+l+")")
		case strings.Contains(base, "blas"):
			names = append(names, l)
		}
	}
	return strings.Join(names, ", ")
}

// torchProc is the running PyTorch side.
type torchProc struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	hello struct {
		OK    bool     `json:"ok"`
		Error string   `json:"error"`
		Torch string   `json:"torch"`
		BLAS  []string `json:"blas"`
	}
}

// startTorch starts torch_bench.py; nil if Python or torch is missing.
func startTorch(python, script string) *torchProc {
	p := &torchProc{cmd: exec.Command(python, script)}
	p.cmd.Stderr = os.Stderr
	var err error
	if p.in, err = p.cmd.StdinPipe(); err != nil {
		return nil
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil
	}
	if err := p.cmd.Start(); err != nil {
		fmt.Printf("torch: cannot start %s: %v\n", python, err)
		return nil
	}
	p.out = bufio.NewScanner(out)
	if !p.out.Scan() || json.Unmarshal(p.out.Bytes(), &p.hello) != nil || !p.hello.OK {
		fmt.Printf("torch: unavailable (%s)\n", p.hello.Error)
		p.close()
		return nil
	}
	return p
}

// request sends one measurement request; warm asks for a single untimed
// call. It reports whether torch answered.
func (p *torchProc) request(w workload, threads int, mintime time.Duration, warm bool) bool {
	_, ok := p.call(w, threads, mintime, warm)
	return ok
}

func (p *torchProc) measure(w workload, threads int, mintime time.Duration) (float64, bool) {
	return p.call(w, threads, mintime, false)
}

func (p *torchProc) call(w workload, threads int, mintime time.Duration, warm bool) (float64, bool) {
	req := map[string]any{"workload": w.kind, "threads": threads, "mintime": mintime.Seconds(), "warm": warm}
	if w.kind == "mm" {
		req["m"], req["k"], req["n"], req["ta"], req["tb"], req["batch"] = w.m, w.k, w.n, w.ta, w.tb, w.batch
	} else {
		req["size"] = w.size
	}
	b, _ := json.Marshal(req)
	if _, err := p.in.Write(append(b, '\n')); err != nil || !p.out.Scan() {
		return 0, false
	}
	var resp struct {
		Sec   float64 `json:"sec"`
		Error string  `json:"error"`
	}
	if json.Unmarshal(p.out.Bytes(), &resp) != nil || resp.Error != "" {
		fmt.Fprintf(os.Stderr, "torch %s: %s\n", w.key, resp.Error)
		return 0, false
	}
	return resp.Sec, true
}

func (p *torchProc) close() {
	p.in.Close()
	p.cmd.Wait()
}

// runRawBench runs tensorlib's BenchmarkGEMM with go test and returns
// GFLOP/s per sub-benchmark and thread count, one value per -count round.
func runRawBench(goCmd string, threads []int, rounds int) map[string]map[int][]float64 {
	cpus := make([]string, len(threads))
	for i, t := range threads {
		cpus[i] = strconv.Itoa(t)
	}
	cmd := exec.Command(goCmd, "test", "-run", "^$", "-bench", "^BenchmarkGEMM$", "-benchtime", "150ms",
		"-count", strconv.Itoa(rounds), "-cpu", strings.Join(cpus, ","), "./tensorlib/")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		fmt.Printf("raw kernel benchmark failed (%v); gt raw column left empty\n", err)
		return nil
	}
	res := make(map[string]map[int][]float64)
	line := regexp.MustCompile(`^BenchmarkGEMM/(\S+?)(?:-(\d+))?\s+\d+\s+\S+ ns/op\s+(\S+) GFLOP/s`)
	for _, l := range strings.Split(out.String(), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		t := 1
		if m[2] != "" {
			t, _ = strconv.Atoi(m[2])
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		if res[m[1]] == nil {
			res[m[1]] = make(map[int][]float64)
		}
		res[m[1]][t] = append(res[m[1]][t], v)
	}
	return res
}

// cpuStat is the machine's busy CPU time so far.
type cpuStat struct{ busy, self time.Duration }

// readCPUStat reads the busy time of all CPUs (/proc/stat) and this
// process's and its finished children's CPU time.
func readCPUStat() cpuStat {
	var s cpuStat
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
		// cpu user nice system idle iowait irq softirq steal ...
		for i, v := range f[1:] {
			if i == 3 || i == 4 {
				continue
			}
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && i < 8 {
				s.busy += time.Duration(n) * time.Second / 100
			}
		}
	}
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			s.self += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return s
}

// otherLoad is the fraction of the machine's CPU time used by other
// processes between two readings.
func otherLoad(a, b cpuStat, wall time.Duration) float64 {
	other := (b.busy - a.busy) - (b.self - a.self)
	return max(0, other.Seconds()/(wall.Seconds()*float64(runtime.NumCPU())))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64{}, xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return (hi - lo) / median(xs)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}
