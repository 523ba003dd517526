package viz

import (
	"fmt"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Colours shared by the DOT and SVG views, after torchviz: leaves light
// blue, the output's node light green.
const (
	graphFillOp     = "#ffffff"
	graphFillLeaf   = "#add8e6"
	graphFillRoot   = "#caff70"
	graphFillDone   = "#e6e6e6"
	graphStroke     = "#555555"
	graphStrokeHigh = "#d62728"
)

// GraphDOT renders the graph in Graphviz's DOT language: one box per node,
// n<ID>, labelled with the node's name (a leaf's name for AccumulateGrad) and
// output shape, and one edge per input slot that receives a gradient, drawn
// in the forward direction (input → op) as torchviz draws them.
func GraphDOT(g *tl.Graph, opts GraphOptions) string {
	var b strings.Builder
	b.WriteString("digraph autograd {\n")
	b.WriteString("\tgraph [rankdir=TB];\n")
	fmt.Fprintf(&b, "\tnode [shape=box, style=\"rounded,filled\", fillcolor=%q, color=%q, fontname=\"Helvetica\", fontsize=11];\n", graphFillOp, graphStroke)
	root := g.Root()
	for _, n := range g.Nodes {
		title, sub := graphNodeLines(n, opts, root.OutputDType)
		attrs := []string{"label=" + dotQuote(title+"\n"+sub)}
		if fill := graphFill(n, root, opts); fill != graphFillOp {
			attrs = append(attrs, "fillcolor="+dotQuote(fill))
		}
		if n.Node == opts.Highlight && opts.Highlight != nil {
			attrs = append(attrs, "color="+dotQuote(graphStrokeHigh), "penwidth=2.5")
		}
		if tip := graphTooltip(n, opts); tip != "" {
			attrs = append(attrs, "tooltip="+dotQuote(tip))
		}
		fmt.Fprintf(&b, "\tn%d [%s];\n", n.ID, strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "\tn%d -> n%d;\n", e.From.ID, e.To.ID)
	}
	b.WriteString("}\n")
	return b.String()
}

// graphNodeLines is a node's two-line box label: the node's name (a leaf's
// own name for AccumulateGrad) and its output shape (with the dtype when it
// differs from the output's).
func graphNodeLines(n *tl.GraphNode, opts GraphOptions, outDType tl.DType) (title, sub string) {
	title = n.Name
	if n.Leaf != nil {
		title = graphLeafName(n.Leaf, opts.Names)
	}
	sub = graphShape(n.OutputShape)
	if n.OutputDType != outDType {
		sub += " " + graphDType(n.OutputDType)
	}
	return title, sub
}

// graphFill is a node's fill colour.
func graphFill(n, root *tl.GraphNode, opts GraphOptions) string {
	switch {
	case opts.Done[n.Node]:
		return graphFillDone
	case n.Leaf != nil:
		return graphFillLeaf
	case n == root:
		return graphFillRoot
	}
	return graphFillOp
}

// graphTooltip describes a node beyond its label: inputs, saved tensors,
// creation site.
func graphTooltip(n *tl.GraphNode, opts GraphOptions) string {
	var parts []string
	if n.Leaf != nil {
		parts = append(parts, "AccumulateGrad")
	}
	var ins []string
	for i := range n.InputShapes {
		if n.HasInput(i) {
			s := graphShape(n.InputShapes[i])
			if n.Inputs[i] == nil {
				s += " (no grad)"
			}
			ins = append(ins, s)
		}
	}
	if len(ins) > 0 {
		parts = append(parts, "inputs "+strings.Join(ins, ", "))
	}
	if len(n.Saved) > 0 {
		parts = append(parts, fmt.Sprintf("%d saved", len(n.Saved)))
	}
	if n.Site != "" {
		parts = append(parts, "at "+n.Site)
	}
	return strings.Join(parts, "; ")
}

// dotQuote quotes s as a DOT string (newlines become \n line breaks).
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
