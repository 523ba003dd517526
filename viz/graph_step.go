package viz

import (
	"fmt"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Views of a backward debugger (tl.DebugBackward) step: text for the REPL's
// :step prompt, HTML (the step's gradients as a table over the graph drawn
// with the current node highlighted) for notebooks.

// DebugStepText renders a step for a terminal, leaves named from opts.Names
// (see tl.DebugStep.Format).
func DebugStepText(s *tl.DebugStep, opts GraphOptions) string {
	if s == nil {
		return "(no step)\n"
	}
	return s.Format(opts.Names)
}

// DebuggerText renders where a debugger stands: its current step, or that
// the pass has not started (naming the next node) or has finished.
func DebuggerText(d *tl.Debugger, opts GraphOptions) string {
	s := d.Current()
	switch {
	case s == nil && d.Next() != nil:
		return "backward pass not started; next: " + d.Next().Name() + "\n"
	case d.Done():
		text := "backward pass finished\n"
		if s != nil {
			text = DebugStepText(s, opts) + text
		}
		return text
	}
	return DebugStepText(s, opts)
}

// DebugStepHTML renders step s of d (nil means d.Current()) as an HTML
// fragment: a heading with the node, its creation site and the breakpoint
// that stopped there; a table with the shape, dtype, min, max, mean, norm
// and NaN/Inf counts of the gradient arriving, the gradient sent to each
// input and the saved tensors (non-finite counts in red); and the graph as
// SVG with the step's node highlighted and the nodes already run dimmed.
func DebugStepHTML(d *tl.Debugger, s *tl.DebugStep, opts GraphOptions) string {
	if s == nil {
		s = d.Current()
	}
	var b strings.Builder
	b.WriteString(`<div class="gt-debug-step" style="font-family:monospace;font-size:12px">` + "\n")
	if s == nil {
		next := "nothing"
		if n := d.Next(); n != nil {
			next = n.Name()
		}
		fmt.Fprintf(&b, "<p>backward pass not started; next: <b>%s</b></p>\n", svgEscape(next))
	} else {
		fmt.Fprintf(&b, "<p><b>step %d/%d</b> <b>%s</b>", s.Index+1, s.Total, svgEscape(s.Node.Name()))
		if s.Leaf != nil {
			fmt.Fprintf(&b, " (%s)", svgEscape(graphLeafName(s.Leaf, opts.Names)))
		}
		if site := s.Node.Site(); site != "" {
			fmt.Fprintf(&b, " at <code>%s</code>", svgEscape(tl.ShortSite(site)))
		}
		if s.Break != "" {
			fmt.Fprintf(&b, ` <span style="color:%s">break: %s</span>`, graphStrokeHigh, svgEscape(s.Break))
		}
		b.WriteString("</p>\n")
		writeStepTable(&b, s, opts)
	}
	done := map[*tl.Node]bool{}
	for _, st := range d.Steps() {
		if s == nil || st.Index < s.Index {
			done[st.Node] = true
		}
	}
	gopts := opts
	gopts.Done = done
	if s != nil {
		gopts.Highlight = s.Node
	}
	b.WriteString(GraphSVG(d.Graph(), gopts))
	b.WriteString("</div>\n")
	return b.String()
}

// writeStepTable writes the step's tensors as an HTML table.
func writeStepTable(b *strings.Builder, s *tl.DebugStep, opts GraphOptions) {
	b.WriteString(`<table style="border-collapse:collapse">` + "\n<tr>")
	for _, h := range []string{"tensor", "to", "shape", "dtype", "min", "max", "mean", "norm", "NaN", "Inf"} {
		fmt.Fprintf(b, `<th style="text-align:left;padding:1px 8px">%s</th>`, h)
	}
	b.WriteString("</tr>\n")
	row := func(name, to string, st tl.TensorStats) {
		cells := []string{svgEscape(name), svgEscape(to), graphShape(st.Shape), graphDType(st.DType)}
		for _, v := range []float64{st.Min, st.Max, st.Mean, st.Norm} {
			if st.Numel == 0 {
				cells = append(cells, "")
			} else {
				cells = append(cells, fmt.Sprintf("%.4g", v))
			}
		}
		b.WriteString("<tr>")
		for _, c := range cells {
			fmt.Fprintf(b, `<td style="padding:1px 8px">%s</td>`, c)
		}
		for _, k := range []int{st.NaN, st.Inf()} {
			style := "padding:1px 8px"
			if k > 0 {
				style += ";color:" + graphStrokeHigh + ";font-weight:bold"
			}
			fmt.Fprintf(b, `<td style="%s">%d</td>`, style, k)
		}
		b.WriteString("</tr>\n")
	}
	if s.GradOutput != nil {
		row("grad_output", "", s.GradOutputStats)
	}
	for i, next := range s.Inputs {
		if next == nil || s.GradInputs[i] == nil {
			continue
		}
		to := next.Name()
		if v := next.Variable(); v != nil {
			to = graphLeafName(v, opts.Names)
		}
		row(fmt.Sprintf("grad_input[%d]", i), to, s.GradInputsStats[i])
	}
	for i, t := range s.Saved {
		row(fmt.Sprintf("saved[%d]", i), "", tl.StatsOf(t))
	}
	if s.Leaf != nil && s.Leaf.Grad() != nil {
		row("leaf.grad", "", tl.StatsOf(s.Leaf.Grad()))
	}
	b.WriteString("</table>\n")
}

// DebugView is a debugger's current step ready for display (text/plain and
// text/html); it implements Displayer.
type DebugView struct {
	Debugger *tl.Debugger
	Options  GraphOptions
}

// String renders the current step as text (see DebuggerText).
func (v *DebugView) String() string { return DebuggerText(v.Debugger, v.Options) }

// MIMEBundle renders the current step as text and HTML.
func (v *DebugView) MIMEBundle() MIME {
	return MIME{
		MIMEText: []byte(v.String()),
		MIMEHTML: []byte(DebugStepHTML(v.Debugger, nil, v.Options)),
	}
}
