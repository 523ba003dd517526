package tensorlib

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Printing reproduces PyTorch 1.13's tensor repr (torch/_tensor_str.py):
// the same number formats, scientific-notation rule, summarisation, line
// wrapping and suffixes, so gt's output can be compared with PyTorch's.

// PrintOptions controls how tensors print, like torch.set_printoptions.
type PrintOptions struct {
	Precision int   // digits after the decimal point (default 4)
	Threshold int   // summarise tensors with more elements than this (default 1000)
	EdgeItems int   // items shown at each edge when summarising (default 3)
	LineWidth int   // characters per line for wrapping (default 80)
	SciMode   *bool // force (true) or forbid (false) scientific notation; nil decides automatically
}

// DefaultPrintOptions are PyTorch's defaults.
var DefaultPrintOptions = PrintOptions{Precision: 4, Threshold: 1000, EdgeItems: 3, LineWidth: 80}

var (
	printMu   sync.RWMutex
	printOpts = DefaultPrintOptions
)

// SetPrintOptions replaces the options used by String.
func SetPrintOptions(o PrintOptions) {
	printMu.Lock()
	printOpts = o
	printMu.Unlock()
}

// GetPrintOptions returns the options used by String.
func GetPrintOptions() PrintOptions {
	printMu.RLock()
	defer printMu.RUnlock()
	return printOpts
}

// String returns PyTorch's repr of the tensor, e.g.
// "tensor([1.0000, 2.5000], requires_grad=True)".
func (t *Tensor) String() string {
	if t == nil {
		return "<nil>"
	}
	o := GetPrintOptions()
	const prefix = "tensor("
	indent := len(prefix)
	var suffixes []string
	var body string
	v := t.Detach()
	if t.Numel() == 0 {
		if len(t.shape) != 1 {
			suffixes = append(suffixes, "size="+pyTuple(t.shape))
		}
		if t.dtype != Float32 {
			suffixes = append(suffixes, "dtype="+t.dtype.String())
		}
		body = "[]"
	} else {
		if t.dtype == Float64 {
			suffixes = append(suffixes, "dtype="+t.dtype.String())
		}
		summarize := t.Numel() > o.Threshold
		var vals []float64
		if summarize {
			vals = summarizedValues(v, o.EdgeItems)
		} else {
			vals = v.Float64s()
		}
		f := newFormatter(t.dtype, vals, o)
		body = f.tensorStr(v, indent, summarize)
	}
	if t.gradFn != nil {
		suffixes = append(suffixes, "grad_fn=<"+t.gradFn.name+">")
	} else if t.requiresGrad {
		suffixes = append(suffixes, "requires_grad=True")
	}
	return addSuffixes(prefix+body, suffixes, indent, o.LineWidth)
}

// pyTuple formats a shape as a Python tuple: (2, 0) or (0,).
func pyTuple(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// addSuffixes appends ", suffix" items, wrapping onto new lines past the
// line width exactly as PyTorch's _add_suffixes does.
func addSuffixes(s string, suffixes []string, indent, lineWidth int) string {
	var b strings.Builder
	b.WriteString(s)
	lastLineLen := len(s) - strings.LastIndex(s, "\n") + 1
	for _, suf := range suffixes {
		if lastLineLen+len(suf)+2 > lineWidth {
			b.WriteString(",\n" + strings.Repeat(" ", indent) + suf)
			lastLineLen = indent + len(suf)
		} else {
			b.WriteString(", " + suf)
			lastLineLen += len(suf) + 2
		}
	}
	b.WriteString(")")
	return b.String()
}

// summarizedValues collects the values that a summarised print shows.
func summarizedValues(t *Tensor, edge int) []float64 {
	switch {
	case len(t.shape) == 0:
		return []float64{t.at(0)}
	case len(t.shape) == 1:
		if t.shape[0] > 2*edge {
			return append(t.Narrow(0, 0, edge).Float64s(), t.Narrow(0, t.shape[0]-edge, edge).Float64s()...)
		}
		return t.Float64s()
	}
	var out []float64
	n := t.shape[0]
	for i := 0; i < n; i++ {
		if n > 2*edge && i == edge {
			i = n - edge
		}
		out = append(out, summarizedValues(t.Select(0, i), edge)...)
	}
	return out
}

// formatter decides one width and notation for all printed elements, as
// PyTorch's _Formatter does.
type formatter struct {
	dtype    DType
	opts     PrintOptions
	intMode  bool
	sciMode  bool
	maxWidth int
}

func newFormatter(dtype DType, vals []float64, o PrintOptions) *formatter {
	f := &formatter{dtype: dtype, opts: o, intMode: true, maxWidth: 1}
	if !dtype.IsFloat() {
		for _, v := range vals {
			f.maxWidth = max(f.maxWidth, len(f.plain(v)))
		}
		return f
	}
	var finite []float64
	for _, v := range vals {
		if v != 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			finite = append(finite, v)
		}
	}
	if len(finite) > 0 {
		lo, hi := math.Inf(1), 0.0
		for _, v := range finite {
			a := math.Abs(v)
			lo, hi = math.Min(lo, a), math.Max(hi, a)
			if v != math.Ceil(v) {
				f.intMode = false
			}
		}
		if f.intMode {
			if hi/lo > 1000 || hi > 1e8 {
				f.sciMode = true
			}
		} else if hi/lo > 1000 || hi > 1e8 || lo < 1e-4 {
			f.sciMode = true
		}
		for _, v := range finite {
			switch {
			case f.sciMode:
				f.maxWidth = max(f.maxWidth, len(pyFloat(v, 'e', o.Precision)))
			case f.intMode:
				f.maxWidth = max(f.maxWidth, len(pyFloat(v, 'f', 0))+1)
			default:
				f.maxWidth = max(f.maxWidth, len(pyFloat(v, 'f', o.Precision)))
			}
		}
	}
	if o.SciMode != nil {
		f.sciMode = *o.SciMode
	}
	return f
}

// pyFloat formats like Python's '{:.Nf}' / '{:.Ne}' (nan, inf, -inf).
func pyFloat(v float64, verb byte, prec int) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, verb, prec, 64)
}

// plain formats a non-float element as Python's '{}' does.
func (f *formatter) plain(v float64) string {
	if f.dtype == Bool {
		if v != 0 {
			return "True"
		}
		return "False"
	}
	return strconv.FormatInt(int64(v), 10)
}

// format renders one element, right-aligned to the common width.
func (f *formatter) format(v float64) string {
	var s string
	switch {
	case !f.dtype.IsFloat():
		s = f.plain(v)
	case f.sciMode:
		s = pyFloat(v, 'e', f.opts.Precision)
	case f.intMode:
		s = pyFloat(v, 'f', 0)
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			s += "."
		}
	default:
		s = pyFloat(v, 'f', f.opts.Precision)
	}
	if pad := f.maxWidth - len(s); pad > 0 {
		s = strings.Repeat(" ", pad) + s
	}
	return s
}

// tensorStr renders t's nested brackets (PyTorch's _tensor_str_with_formatter).
func (f *formatter) tensorStr(t *Tensor, indent int, summarize bool) string {
	edge := f.opts.EdgeItems
	switch len(t.shape) {
	case 0:
		return f.format(t.at(0))
	case 1:
		return f.vectorStr(t, indent, summarize)
	}
	n := t.shape[0]
	var slices []string
	for i := 0; i < n; i++ {
		if summarize && n > 2*edge && i == edge {
			slices = append(slices, "...")
			i = n - edge
		}
		slices = append(slices, f.tensorStr(t.Select(0, i), indent+1, summarize))
	}
	sep := "," + strings.Repeat("\n", len(t.shape)-1) + strings.Repeat(" ", indent+1)
	return "[" + strings.Join(slices, sep) + "]"
}

func (f *formatter) vectorStr(t *Tensor, indent int, summarize bool) string {
	elemLen := f.maxWidth + 2
	perLine := max(1, (f.opts.LineWidth-indent)/elemLen)
	edge := f.opts.EdgeItems
	vals := t.Float64s()
	var data []string
	if summarize && len(vals) > 2*edge {
		for _, v := range vals[:edge] {
			data = append(data, f.format(v))
		}
		data = append(data, " ...")
		for _, v := range vals[len(vals)-edge:] {
			data = append(data, f.format(v))
		}
	} else {
		for _, v := range vals {
			data = append(data, f.format(v))
		}
	}
	var lines []string
	for i := 0; i < len(data); i += perLine {
		lines = append(lines, strings.Join(data[i:min(i+perLine, len(data))], ", "))
	}
	return "[" + strings.Join(lines, ",\n"+strings.Repeat(" ", indent+1)) + "]"
}

// Format implements fmt.Formatter: %v and %s print String(); %d is not
// supported and %#v prints the Go-syntax header tl.Tensor{shape, dtype}.
func (t *Tensor) Format(s fmt.State, verb rune) {
	if verb == 'v' && s.Flag('#') {
		fmt.Fprintf(s, "tl.Tensor{shape: %s, dtype: %v}", shapeString(t.shape), t.dtype)
		return
	}
	fmt.Fprint(s, t.String())
}
