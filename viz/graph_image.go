package viz

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"

	tl "github.com/gotensor/gt/tensorlib"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// GraphImageScale is the size of GraphImage's pixels relative to GraphSVG's
// (1.5: sharper text on high-density terminals).
const GraphImageScale = 1.5

// GraphImage draws the graph as GraphSVG does (same layout, colours and
// labels) into an image, for terminals that show images (WriteImage) where
// SVG is not understood.
func GraphImage(g *tl.Graph, opts GraphOptions) image.Image {
	root := g.Root()
	if root == nil {
		c := vgimg.NewWith(vgimg.UseWH(graphPx(320), graphPx(30)), vgimg.UseDPI(pixelDPI))
		graphFillBackground(c, 320, 30)
		c.SetColor(color.Black)
		c.FillString(graphFace(), vg.Point{X: graphPx(8), Y: graphPx(10)}, "no autograd graph (the tensor does not require grad)")
		return c.Image()
	}
	l := layoutGraph(g, func(n *tl.GraphNode) (string, string) { return graphNodeLines(n, opts, root.OutputDType) })
	c := vgimg.NewWith(vgimg.UseWH(graphPx(l.width), graphPx(l.height)), vgimg.UseDPI(pixelDPI))
	graphFillBackground(c, l.width, l.height)
	// pt converts layout coordinates (y down) to the canvas's (y up).
	pt := func(x, y float64) vg.Point { return vg.Point{X: graphPx(x), Y: graphPx(l.height - y)} }

	stroke := graphColor(graphStroke)
	c.SetLineWidth(graphPx(1.2))
	for _, e := range l.edges {
		xs, ys := graphEdgePoints(l, e)
		var p vg.Path
		p.Move(pt(xs[0], ys[0]))
		for i := 1; i < len(xs); i++ {
			dy := (ys[i] - ys[i-1]) / 2
			p.CubeTo(pt(xs[i-1], ys[i-1]+dy), pt(xs[i], ys[i]-dy), pt(xs[i], ys[i]-5))
		}
		c.SetColor(stroke)
		c.Stroke(p)
		// Arrowhead, pointing down into the op's box.
		x, y := xs[len(xs)-1], ys[len(ys)-1]
		var a vg.Path
		a.Move(pt(x, y))
		a.Line(pt(x-3.5, y-7))
		a.Line(pt(x+3.5, y-7))
		a.Close()
		c.Fill(a)
	}
	face := graphFace()
	for _, layer := range l.layers {
		for _, n := range layer {
			if n.node == nil {
				continue
			}
			x, y := n.x-n.w/2, l.y(n.layer)
			box := graphRoundedRect(pt, x, y, n.w, layoutNodeH, 5)
			c.SetColor(graphColor(graphFill(n.node, root, opts)))
			c.Fill(box)
			width, col := 1.0, stroke
			if opts.Highlight != nil && n.node.Node == opts.Highlight {
				width, col = 2.5, graphColor(graphStrokeHigh)
			}
			c.SetLineWidth(graphPx(width))
			c.SetColor(col)
			c.Stroke(box)
			c.SetLineWidth(graphPx(1.2))
			c.SetColor(color.Black)
			c.FillString(face, pt(n.x-float64(face.Width(n.title))/graphPxPerPt()/2, y+16), n.title)
			c.SetColor(graphColor("#444444"))
			c.FillString(face, pt(n.x-float64(face.Width(n.detail))/graphPxPerPt()/2, y+31), n.detail)
		}
	}
	return c.Image()
}

// GraphPNG encodes GraphImage as PNG.
func GraphPNG(g *tl.Graph, opts GraphOptions) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, GraphImage(g, opts)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// graphEdgePoints returns an edge's route in layout coordinates: from the
// bottom centre of its input's box, through its dummies, to its slot on the
// top of its op's box.
func graphEdgePoints(l *graphLayout, e layoutEdge) (xs, ys []float64) {
	to := e.points[len(e.points)-1]
	xs = make([]float64, len(e.points))
	ys = make([]float64, len(e.points))
	for i, p := range e.points {
		xs[i] = p.x
		ys[i] = l.y(p.layer) + layoutNodeH/2
	}
	ys[0] = l.y(e.points[0].layer) + layoutNodeH
	if slots := len(e.edge.To.Inputs); slots > 1 {
		spread := min(16.0, to.w/float64(slots+1))
		xs[len(xs)-1] += (float64(e.edge.Input) - float64(slots-1)/2) * spread
	}
	ys[len(ys)-1] = l.y(to.layer)
	return xs, ys
}

// graphRoundedRect is the outline of a box with rounded corners.
func graphRoundedRect(pt func(x, y float64) vg.Point, x, y, w, h, r float64) vg.Path {
	var p vg.Path
	p.Move(pt(x+r, y))
	p.Line(pt(x+w-r, y))
	p.Arc(pt(x+w-r, y+r), graphPx(r), math.Pi/2, -math.Pi/2)
	p.Line(pt(x+w, y+h-r))
	p.Arc(pt(x+w-r, y+h-r), graphPx(r), 0, -math.Pi/2)
	p.Line(pt(x+r, y+h))
	p.Arc(pt(x+r, y+h-r), graphPx(r), -math.Pi/2, -math.Pi/2)
	p.Line(pt(x, y+r))
	p.Arc(pt(x+r, y+r), graphPx(r), math.Pi, -math.Pi/2)
	p.Close()
	return p
}

func graphFillBackground(c *vgimg.Canvas, w, h float64) {
	var p vg.Path
	p.Move(vg.Point{})
	p.Line(vg.Point{X: graphPx(w)})
	p.Line(vg.Point{X: graphPx(w), Y: graphPx(h)})
	p.Line(vg.Point{Y: graphPx(h)})
	p.Close()
	c.SetColor(color.White)
	c.Fill(p)
}

// graphPx converts layout pixels to canvas lengths at GraphImageScale.
func graphPx(v float64) vg.Length { return vg.Length(v*GraphImageScale) * vg.Inch / pixelDPI }

// graphPxPerPt is the number of canvas points per layout pixel.
func graphPxPerPt() float64 { return float64(graphPx(1)) }

// graphFace is the 12px monospace font of the SVG (Liberation Mono; the
// image draws titles in the regular weight).
func graphFace() font.Face {
	return font.DefaultCache.Lookup(font.Font{Typeface: "Liberation", Variant: "Mono"}, graphPx(12))
}

// graphColor parses "#rrggbb".
func graphColor(hex string) color.Color {
	v, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return color.Black
	}
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}
