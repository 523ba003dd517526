package tensorlib

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
)

// Anomaly mode (torch.autograd.detect_anomaly): every differentiable op's
// output is checked for NaN and Inf as it is computed, and every gradient a
// backward node returns as it is returned. The first bad value panics with an
// *Error naming the op and the place in the user's code that created it, so
// a NaN is caught where it appears rather than in the loss. PyTorch checks
// only backward outputs, only for NaN, and prints the forward traceback as a
// warning; here forward outputs and infinities are caught too, and the
// forward traceback is part of the error.

var anomalyOn atomic.Bool

// DetectAnomaly turns anomaly mode on or off (off by default). While it is on,
// creation sites are recorded as with SetDebug(true), and every op pays for a
// scan of its output. Like grad mode it is process-wide.
func DetectAnomaly(on bool) {
	if anomalyOn.Swap(on) != on {
		if on {
			observing.Add(1)
		} else {
			observing.Add(-1)
		}
	}
	updateCapture()
}

// IsAnomalyEnabled reports whether anomaly mode is on.
func IsAnomalyEnabled() bool { return anomalyOn.Load() }

// checkForwardAnomaly fails when the output of the op name holds NaN or Inf.
// n is the op's node, nil when none was recorded.
func checkForwardAnomaly(name string, inputs []*Tensor, out *Tensor, n *Node) {
	nan, inf := nonFiniteCounts(out)
	if nan+inf == 0 {
		return
	}
	var pcs []uintptr
	site := ""
	if n != nil && n.origin != nil {
		pcs, site = n.origin.pcs, n.Site()
	} else {
		var buf [stackDepth]uintptr
		pcs = buf[:runtime.Callers(1, buf[:])]
		site = siteOf(pcs)
	}
	cause := "its inputs were finite"
	for i, in := range inputs {
		if in == nil {
			continue
		}
		if a, b := nonFiniteCounts(in); a+b > 0 {
			cause = fmt.Sprintf("input %d already held %s", i, describeNonFinite(a, b))
			break
		}
	}
	op := ForwardOpName(name)
	panic(&Error{Op: op, Shapes: [][]int{out.shape}, Msg: fmt.Sprintf(
		"anomaly detected: the forward of %s (%s) produced %s in its output (%s)%s",
		op, name, describeNonFinite(nan, inf), cause, traceback(site, stackOf(pcs)))})
}

// checkBackwardAnomaly fails when a gradient returned by n holds NaN or Inf,
// as PyTorch's "Function 'XBackward0' returned nan values in its 0th output".
func checkBackwardAnomaly(n *Node, grads []*Tensor) {
	for i, g := range grads {
		if g == nil || i >= len(n.next) || n.next[i] == nil {
			continue
		}
		nan, inf := nonFiniteCounts(g)
		if nan+inf == 0 {
			continue
		}
		kind := "nan"
		if nan == 0 {
			kind = "inf"
		}
		panic(&Error{Op: n.name, Shapes: [][]int{g.shape}, Msg: fmt.Sprintf(
			"anomaly detected: Function '%s' returned %s values in its %s output (%s)%s",
			n.name, kind, ordinal(i), describeNonFinite(nan, inf), traceback(n.Site(), n.Stack()))})
	}
}

// traceback renders the creation site and the forward call stack for an
// anomaly message.
func traceback(site string, stack []string) string {
	if site == "" {
		return "; the creation site was not recorded (turn DetectAnomaly on before the forward pass)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; created at %s", site)
	if len(stack) > 1 {
		b.WriteString("\nforward traceback (innermost first):")
		for _, f := range stack {
			b.WriteString("\n  ")
			b.WriteString(f)
		}
	}
	return b.String()
}

// ordinal renders i as PyTorch does in anomaly messages: 0th, 1th, 2th.
func ordinal(i int) string { return fmt.Sprintf("%dth", i) }
