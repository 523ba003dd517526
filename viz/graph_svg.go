package viz

import (
	"fmt"
	"html"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// GraphSVG renders the graph as a standalone SVG image, laid out in layers
// (see graph_layout.go) without any external program: data flows down from
// the leaves (light blue, labelled with their names) to the output's node
// (light green); every box shows the node's name and output shape, and has a
// tooltip with its inputs, saved tensors and creation site. Each box is a
// <g class="node" id="node-ID">. Highlight and Done mark a debugger's
// progress.
func GraphSVG(g *tl.Graph, opts GraphOptions) string {
	root := g.Root()
	if root == nil {
		return `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="30" viewBox="0 0 320 30">` +
			`<text x="8" y="19" font-family="monospace" font-size="12">no autograd graph (the tensor does not require grad)</text></svg>`
	}
	l := layoutGraph(g, func(n *tl.GraphNode) (string, string) { return graphNodeLines(n, opts, root.OutputDType) })
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="monospace" font-size="12">`+"\n",
		l.width, l.height, l.width, l.height)
	b.WriteString(`<defs><marker id="gt-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">` +
		`<path d="M 0 0 L 10 5 L 0 10 z" fill="` + graphStroke + `"/></marker></defs>` + "\n")

	// Edges first, under the boxes. An edge leaves its input's box at the
	// bottom centre and enters its op's box at the top, spread over the op's
	// input slots.
	b.WriteString(`<g class="edges" fill="none" stroke="` + graphStroke + `" stroke-width="1.2">` + "\n")
	for _, e := range l.edges {
		xs, ys := graphEdgePoints(l, e)
		var d strings.Builder
		fmt.Fprintf(&d, "M %.1f %.1f", xs[0], ys[0])
		for i := 1; i < len(xs); i++ {
			dy := (ys[i] - ys[i-1]) / 2
			fmt.Fprintf(&d, " C %.1f %.1f %.1f %.1f %.1f %.1f", xs[i-1], ys[i-1]+dy, xs[i], ys[i]-dy, xs[i], ys[i])
		}
		fmt.Fprintf(&b, `<path class="edge" data-from="%d" data-to="%d" d="%s" marker-end="url(#gt-arrow)"/>`+"\n", e.edge.From.ID, e.edge.To.ID, d.String())
	}
	b.WriteString("</g>\n")

	for _, layer := range l.layers {
		for _, n := range layer {
			if n.node == nil {
				continue
			}
			gn := n.node
			x, y := n.x-n.w/2, l.y(n.layer)
			stroke, width := graphStroke, 1.0
			if opts.Highlight != nil && gn.Node == opts.Highlight {
				stroke, width = graphStrokeHigh, 2.5
			}
			fmt.Fprintf(&b, `<g class="node" id="node-%d">`, gn.ID)
			fmt.Fprintf(&b, `<title>%s</title>`, svgEscape(gn.Name+"; "+graphTooltip(gn, opts)))
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" rx="5" fill="%s" stroke="%s" stroke-width="%.1f"/>`,
				x, y, n.w, layoutNodeH, graphFill(gn, root, opts), stroke, width)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold">%s</text>`, n.x, y+16, svgEscape(n.title))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#444444">%s</text>`, n.x, y+31, svgEscape(n.detail))
			b.WriteString("</g>\n")
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// svgEscape escapes text for XML content and attributes.
func svgEscape(s string) string { return html.EscapeString(s) }

// GraphView is an autograd graph ready for display: text/plain is the tree,
// image/svg+xml the laid-out drawing, image/png the same drawing for
// terminals, text/html the SVG inline. It implements Displayer, so Bundle
// (and the notebook's display) render it.
type GraphView struct {
	Graph   *tl.Graph
	Options GraphOptions
}

// NewGraphView returns the view of t's autograd graph.
func NewGraphView(t *tl.Tensor, opts GraphOptions) *GraphView {
	return &GraphView{Graph: tl.GraphOf(t), Options: opts}
}

// String returns the text tree.
func (v *GraphView) String() string { return GraphTree(v.Graph, v.Options) }

// DOT returns the Graphviz source.
func (v *GraphView) DOT() string { return GraphDOT(v.Graph, v.Options) }

// SVG returns the drawing.
func (v *GraphView) SVG() string { return GraphSVG(v.Graph, v.Options) }

// MIMEBundle renders the graph as text, SVG, PNG and HTML.
func (v *GraphView) MIMEBundle() MIME {
	svg := v.SVG()
	m := MIME{
		MIMEText: []byte(v.String()),
		MIMESVG:  []byte(svg),
		MIMEHTML: []byte(`<div class="gt-graph">` + svg + `</div>`),
	}
	if png, err := GraphPNG(v.Graph, v.Options); err == nil {
		m[MIMEPNG] = png
	}
	return m
}
