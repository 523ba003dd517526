package tensorlib

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Observing ops. Trace and DetectAnomaly make every differentiable op report
// itself through record, whether or not it records a node (needsGrad is true
// for every op while observing is non-zero). With neither on, the only cost
// is one atomic load per op. Ops run by a backward pass (inside BackwardRun's
// Step) are not reported one by one: the pass reports each node it runs.

var (
	observing  atomic.Int32 // active traces + anomaly mode
	inBackward atomic.Int32 // BackwardRun steps in progress
	tracers    struct {
		sync.Mutex
		active []*tracer
	}
)

// observeForward reports a differentiable op (n is its node, nil when none
// was recorded) to the active traces and to anomaly mode. Ops that
// tensorlib's own ops call outside the graph (Sum permuting its detached
// input, MaskedFill calling Where) are not reported: they are part of the op
// that called them.
func observeForward(name string, inputs []*Tensor, out *Tensor, n *Node) {
	end := time.Now()
	tracing, anomaly := len(activeTracers()) > 0, anomalyOn.Load()
	if !tracing {
		if !anomaly {
			return
		}
		if nan, inf := nonFiniteCounts(out); nan+inf == 0 {
			return
		}
	}
	if n == nil && internalOp() {
		return
	}
	if tracing {
		traceForward(name, inputs, out, n, end)
	}
	if anomaly {
		checkForwardAnomaly(name, inputs, out, n)
	}
}

// internalOp reports whether the op being reported was called by another
// tensorlib op rather than from outside the package: whether the stack holds
// two frames of tensorlib's exported API (ignoring …InPlace wrappers, which
// report the op they apply) before the first frame outside tensorlib.
func internalOp() bool {
	var buf [stackDepth]uintptr
	api := 0
	for _, pc := range buf[:runtime.Callers(2, buf[:])] {
		f := classifyPC(pc)
		if api += f.api; api > 1 {
			return true
		}
		if f.external {
			return false
		}
	}
	return false
}

// pcClass is what internalOp needs of a return address: how many frames of
// tensorlib's exported API it holds (with inlining, one address can hold
// several frames) before any frame outside tensorlib, and whether it holds
// one.
type pcClass struct {
	api      int
	external bool
}

var pcClasses sync.Map // uintptr → pcClass

func classifyPC(pc uintptr) pcClass {
	if c, ok := pcClasses.Load(pc); ok {
		return c.(pcClass)
	}
	var c pcClass
	frames := runtime.CallersFrames([]uintptr{pc})
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, pkgPrefix) || strings.HasSuffix(f.File, "_test.go") {
			c.external = true
			break
		}
		name := f.Function[strings.LastIndexByte(f.Function, '.')+1:]
		if name != "" && name[0] >= 'A' && name[0] <= 'Z' && !strings.HasSuffix(name, "InPlace") {
			c.api++
		}
		if !more {
			break
		}
	}
	pcClasses.Store(pc, c)
	return c
}

// observeBackward reports a node run by a backward pass.
func observeBackward(n *Node, g *Tensor, grads []*Tensor, d time.Duration) {
	ts := activeTracers()
	if len(ts) == 0 {
		return
	}
	op := TraceOp{Phase: "backward", Name: n.name, Op: n.name, Shape: n.outShape, DType: n.outDType, Duration: d, Site: n.Site()}
	op.InputShapes = n.inShapes
	if g != nil {
		op.Stats = StatsOf(g)
	}
	now := time.Now()
	for _, t := range ts {
		t.add(op, time.Time{}, now)
	}
}

func activeTracers() []*tracer {
	tracers.Lock()
	defer tracers.Unlock()
	return tracers.active
}

// traceForward adds a forward op to every active trace.
func traceForward(name string, inputs []*Tensor, out *Tensor, n *Node, end time.Time) {
	op := TraceOp{Phase: "forward", Name: name, Op: ForwardOpName(name), Shape: out.Shape(), DType: out.dtype, Recorded: n != nil}
	op.InputShapes = make([][]int, len(inputs))
	for i, in := range inputs {
		if in != nil {
			op.InputShapes[i] = in.Shape()
		}
	}
	if n != nil {
		op.Site = n.Site()
	} else if captureSites.Load() {
		var buf [stackDepth]uintptr
		op.Site = siteOf(buf[:runtime.Callers(1, buf[:])])
	}
	op.Stats = StatsOf(out)
	done := time.Now()
	for _, t := range activeTracers() {
		t.add(op, end, done)
	}
}

// tracer collects the ops of one Trace call.
type tracer struct {
	mu   sync.Mutex
	ops  []TraceOp
	last time.Time // when the previous op (or the trace) ended
}

// add appends op; a non-zero end sets its duration (from the previous op's
// end). done is when the trace's bookkeeping for op finished.
func (t *tracer) add(op TraceOp, end, done time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !end.IsZero() {
		op.Duration = end.Sub(t.last)
	}
	op.Index = len(t.ops)
	t.ops = append(t.ops, op)
	t.last = done
}

// TraceOp is one op of a trace.
type TraceOp struct {
	Index int    // position in the trace
	Phase string // "forward", or "backward" for a node run by a backward pass
	// Name is the node's name (PyTorch's grad_fn name), e.g. "MmBackward0".
	Name string
	// Op is the forward op's name ("Mm") for forward ops, the node's name for
	// backward ones.
	Op          string
	InputShapes [][]int // the inputs' shapes (nil where a slot held no tensor)
	Shape       []int   // the output's shape
	DType       DType   // the output's dtype
	// Duration is, for a backward node, the time the node took. For a
	// forward op it is the time from the end of the previous traced op (or
	// the start of the trace) to the end of this one: the op's own time when
	// ops run back to back, plus any untraced work in between.
	Duration time.Duration
	// Stats summarises the op's output (forward) or the gradient arriving at
	// the node (backward).
	Stats TensorStats
	// Recorded reports whether a forward op recorded a node in the graph.
	Recorded bool
	// Site is the creation site when sites are recorded (SetDebug).
	Site string
}

// TraceResult is what Trace observed.
type TraceResult struct {
	Ops   []TraceOp     // in execution order
	Total time.Duration // the wall time of the traced function
}

// Trace runs f and returns the differentiable ops it executed, in order,
// with their output shapes, timings and value statistics (forward ops whether
// or not they recorded a graph, including under NoGrad; and, when f runs a
// backward pass, each node the pass ran). Creation ops, comparisons and other
// ops without a gradient formula are not listed. Tracing costs a statistics
// pass over every output; with no trace active it costs nothing measurable.
// Traces may nest; ops from other goroutines running meanwhile are included.
func Trace(f func()) *TraceResult {
	t := &tracer{}
	tracers.Lock()
	tracers.active = append(append([]*tracer{}, tracers.active...), t)
	tracers.Unlock()
	observing.Add(1)
	start := time.Now()
	t.last = start
	defer func() {
		observing.Add(-1)
		tracers.Lock()
		var rest []*tracer
		for _, x := range tracers.active {
			if x != t {
				rest = append(rest, x)
			}
		}
		tracers.active = rest
		tracers.Unlock()
	}()
	f()
	return &TraceResult{Ops: t.ops, Total: time.Since(start)}
}

// Forward returns the forward ops of the trace.
func (r *TraceResult) Forward() []TraceOp { return r.phase("forward") }

// Backward returns the backward nodes of the trace.
func (r *TraceResult) Backward() []TraceOp { return r.phase("backward") }

func (r *TraceResult) phase(p string) []TraceOp {
	var out []TraceOp
	for _, op := range r.Ops {
		if op.Phase == p {
			out = append(out, op)
		}
	}
	return out
}

// String renders the trace as a table, one row per op:
//
//	#  phase     op     shape   dtype    time     min      max      mean     norm     nan  inf
//	0  forward   T      [3, 1]  float32  1.2µs    -0.53    0.44     …
func (r *TraceResult) String() string {
	header := []string{"#", "phase", "op", "shape", "dtype", "time", "min", "max", "mean", "norm", "nan", "inf"}
	withSite := false
	for _, op := range r.Ops {
		if op.Site != "" {
			withSite = true
		}
	}
	if withSite {
		header = append(header, "site")
	}
	rows := [][]string{header}
	for _, op := range r.Ops {
		s := op.Stats
		row := []string{fmt.Sprint(op.Index), op.Phase, op.Op, shapeString(op.Shape), dtypeName(op.DType), fmtDuration(op.Duration)}
		if s.Numel > 0 {
			row = append(row, fmtStat(s.Min), fmtStat(s.Max), fmtStat(s.Mean), fmtStat(s.Norm))
		} else {
			row = append(row, "-", "-", "-", "-")
		}
		row = append(row, fmt.Sprint(s.NaN), fmt.Sprint(s.Inf()))
		if withSite {
			row = append(row, ShortSite(op.Site))
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	writeTable(&b, rows, map[int]bool{0: true, 10: true, 11: true})
	fmt.Fprintf(&b, "%d ops in %s\n", len(r.Ops), fmtDuration(r.Total))
	return b.String()
}

// fmtDuration renders d with three significant digits: 1.23µs, 45.6ms.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}

// writeTable writes rows as space-aligned columns; columns in right are
// right-aligned.
func writeTable(b *strings.Builder, rows [][]string, right map[int]bool) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}
