package viz

import (
	"fmt"
	"html"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// HTMLMaxElements is the largest tensor TensorHTML shows element by element;
// larger ones are summarised with PyTorch's repr (edge items and "...").
const HTMLMaxElements = 1000

// TensorHTML renders a tensor as an HTML fragment: a header table with
// shape, dtype, requires_grad and grad_fn, then the values — a grid for
// scalars, vectors and matrices of at most HTMLMaxElements elements, the
// (summarised) PyTorch repr otherwise.
func TensorHTML(t *tl.Tensor) string {
	var b strings.Builder
	b.WriteString(`<div class="gt-tensor">`)
	b.WriteString(`<table class="gt-tensor-info"><tr><th>shape</th><th>dtype</th><th>requires_grad</th><th>grad_fn</th></tr><tr>`)
	gradFn := ""
	if n := t.GradFn(); n != nil {
		gradFn = n.Name()
	}
	fmt.Fprintf(&b, "<td>%s</td><td>%s</td><td>%v</td><td>%s</td></tr></table>",
		html.EscapeString(shapeText(t.Shape())), html.EscapeString(dtypeText(t.DType())), t.RequiresGrad(), html.EscapeString(gradFn))
	if t.Numel() <= HTMLMaxElements && t.Dim() <= 2 && t.Numel() > 0 {
		writeGrid(&b, t)
	} else {
		b.WriteString(`<pre class="gt-tensor-repr">`)
		b.WriteString(html.EscapeString(t.String()))
		b.WriteString("</pre>")
	}
	b.WriteString("</div>")
	return b.String()
}

// writeGrid writes the values of a 0-, 1- or 2-dimensional tensor as a table,
// formatted as PyTorch prints each element.
func writeGrid(b *strings.Builder, t *tl.Tensor) {
	rows, cols := 1, 1
	switch t.Dim() {
	case 1:
		cols = t.Size(0)
	case 2:
		rows, cols = t.Size(0), t.Size(1)
	}
	cells := elementStrings(t)
	b.WriteString(`<table class="gt-tensor-values">`)
	for r := 0; r < rows; r++ {
		b.WriteString("<tr>")
		for c := 0; c < cols; c++ {
			fmt.Fprintf(b, `<td style="text-align:right;font-family:monospace">%s</td>`, html.EscapeString(cells[r*cols+c]))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
}

// elementStrings formats every element of a small tensor the way PyTorch's
// repr formats it (sharing its precision and notation), by reading the
// elements back out of the repr of the flattened tensor.
func elementStrings(t *tl.Tensor) []string {
	flat := t.Detach().Reshape(-1)
	s := flat.String()
	open := strings.IndexByte(s, '[')
	end := strings.LastIndexByte(s, ']')
	n := flat.Numel()
	if open >= 0 && end > open {
		fields := strings.FieldsFunc(s[open+1:end], func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
		if len(fields) == n {
			return fields
		}
	}
	out := make([]string, n)
	vals := flat.Float64s()
	for i, v := range vals {
		out[i] = fmt.Sprint(v)
	}
	return out
}

// shapeText renders a shape as PyTorch's torch.Size does: [2, 3].
func shapeText(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// dtypeText names a dtype as PyTorch does (torch.float32).
func dtypeText(d tl.DType) string { return d.String() }
