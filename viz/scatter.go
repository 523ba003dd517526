package viz

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// ScatterFigure is a scatter plot: sets of points drawn as markers, with
// optional lines over them (a fitted model, say). It renders to PNG, SVG or
// text, and displays inline in a notebook (it implements Displayer).
//
//	fig := viz.Scatter(X, y, viz.PlotOptions{Title: "Linear Regression Result", Names: []string{"Original Data"}}).
//		AddLine(X, predicted, "Learned Line")
//	viz.Display(fig)
type ScatterFigure struct {
	Points []Series // drawn as markers
	Lines  []Series // drawn as lines through the points in x order
	Opts   PlotOptions
}

// Scatter makes a scatter plot of the points (x[i], y[i]); x and y are
// slices of numbers or tensors (flattened), of the same length. The first
// of opts.Names, if any, names the points in the legend. It panics with
// *tl.Error when the lengths differ or a value cannot be plotted.
func Scatter(x, y any, opts ...PlotOptions) *ScatterFigure {
	f := &ScatterFigure{}
	if len(opts) > 0 {
		f.Opts = opts[0]
	}
	name := ""
	if len(f.Opts.Names) > 0 {
		name = f.Opts.Names[0]
	}
	return f.AddPoints(x, y, name)
}

// AddPoints adds another set of points, named name in the legend (no legend
// entry when empty), and returns f.
func (f *ScatterFigure) AddPoints(x, y any, name string) *ScatterFigure {
	f.Points = append(f.Points, xySeries("viz.Scatter", x, y, name, false))
	return f
}

// AddLine adds a line through the points (x[i], y[i]) taken in increasing x,
// named name in the legend, and returns f.
func (f *ScatterFigure) AddLine(x, y any, name string) *ScatterFigure {
	f.Lines = append(f.Lines, xySeries("viz.ScatterFigure.AddLine", x, y, name, true))
	return f
}

// xySeries converts x and y to a series, sorted by x when sorted is set.
func xySeries(op string, x, y any, name string, sorted bool) Series {
	xs, err := Floats(x)
	if err != nil {
		panic(&tl.Error{Op: op, Msg: "x: " + err.Error()})
	}
	ys, err := Floats(y)
	if err != nil {
		panic(&tl.Error{Op: op, Msg: "y: " + err.Error()})
	}
	if len(xs) != len(ys) {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("%d x values for %d y values", len(xs), len(ys))})
	}
	if sorted {
		idx := make([]int, len(xs))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
		sx, sy := make([]float64, len(xs)), make([]float64, len(ys))
		for i, j := range idx {
			sx[i], sy[i] = xs[j], ys[j]
		}
		xs, ys = sx, sy
	}
	return Series{Name: name, X: xs, Y: ys}
}

// finitePoints returns the series' points where both coordinates are finite.
func finitePoints(s Series) plotter.XYs {
	pts := make(plotter.XYs, 0, len(s.Y))
	for i, y := range s.Y {
		if math.IsNaN(y) || math.IsInf(y, 0) || math.IsNaN(s.X[i]) || math.IsInf(s.X[i], 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: s.X[i], Y: y})
	}
	return pts
}

// Colours as matplotlib draws the walkthrough's figure: points in its
// default blue (then orange, green, …), lines in red (then purple, brown).
var (
	scatterPointColors = []color.Color{
		color.NRGBA{0x1f, 0x77, 0xb4, 0xa0}, color.NRGBA{0xff, 0x7f, 0x0e, 0xa0},
		color.NRGBA{0x2c, 0xa0, 0x2c, 0xa0}, color.NRGBA{0x8c, 0x56, 0x4b, 0xa0},
	}
	scatterLineColors = []color.Color{
		color.NRGBA{0xd6, 0x27, 0x28, 0xff}, color.NRGBA{0x94, 0x67, 0xbd, 0xff},
		color.NRGBA{0x17, 0xbe, 0xcf, 0xff}, color.NRGBA{0x7f, 0x7f, 0x7f, 0xff},
	}
)

// plot builds the gonum plot: the points, then the lines over them.
func (f *ScatterFigure) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = f.Opts.Title
	p.X.Label.Text = f.Opts.XLabel
	p.Y.Label.Text = f.Opts.YLabel
	p.Add(plotter.NewGrid())
	for i, s := range f.Points {
		pts := finitePoints(s)
		if len(pts) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = scatterPointColors[i%len(scatterPointColors)]
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(sc)
		if s.Name != "" {
			p.Legend.Add(s.Name, sc)
		}
	}
	for i, s := range f.Lines {
		pts := finitePoints(s)
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = scatterLineColors[i%len(scatterLineColors)]
		l.Width = vg.Points(2)
		p.Add(l)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	p.Legend.Top = true
	p.Legend.Left = true
	return p, nil
}

// size returns the figure's size in pixels.
func (f *ScatterFigure) size() (int, int) {
	return (&Figure{Opts: f.Opts}).size()
}

// Image draws the figure as an RGBA image of its size in pixels.
func (f *ScatterFigure) Image() (image.Image, error) {
	w, h := f.size()
	return plotImage(f.plot, w, h)
}

// PNG encodes the figure as a PNG image.
func (f *ScatterFigure) PNG() ([]byte, error) { return encodePNG(f.Image()) }

// SVG encodes the figure as an SVG document.
func (f *ScatterFigure) SVG() ([]byte, error) {
	w, h := f.size()
	return plotSVG(f.plot, w, h)
}

// TextChart draws the figure with characters in a box of width×height
// cells: points as "o" (then "x", "+", … for further sets), lines as "·",
// with the y range on the left.
func (f *ScatterFigure) TextChart(width, height int) string {
	width, height = max(width, 20), max(height, 4)
	var b strings.Builder
	if f.Opts.Title != "" {
		b.WriteString(center(f.Opts.Title, width))
		b.WriteByte('\n')
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	all := append(append([]Series(nil), f.Points...), f.Lines...)
	for _, s := range all {
		for _, p := range finitePoints(s) {
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			ymin, ymax = math.Min(ymin, p.Y), math.Max(ymax, p.Y)
		}
	}
	if xmin > xmax {
		b.WriteString("(empty plot)")
		return b.String()
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	if ymax == ymin {
		ymin, ymax = ymin-1, ymax+1
	}
	top, bottom := axisNumber(ymax), axisNumber(ymin)
	lw := max(len(top), len(bottom))
	pw := width - lw - 2
	grid := make([][]rune, height)
	for r := range grid {
		grid[r] = []rune(strings.Repeat(" ", pw))
	}
	cell := func(x, y float64) (int, int) {
		c := int(math.Round((x - xmin) / (xmax - xmin) * float64(pw-1)))
		r := int(math.Round((ymax - y) / (ymax - ymin) * float64(height-1)))
		return min(max(r, 0), height-1), min(max(c, 0), pw-1)
	}
	for _, s := range f.Lines {
		pts := finitePoints(s)
		for i := 1; i < len(pts); i++ {
			// Sample the segment densely enough to touch every column.
			steps := pw
			for k := 0; k <= steps; k++ {
				t := float64(k) / float64(steps)
				r, c := cell(pts[i-1].X+t*(pts[i].X-pts[i-1].X), pts[i-1].Y+t*(pts[i].Y-pts[i-1].Y))
				grid[r][c] = '·'
			}
		}
		if len(pts) == 1 {
			r, c := cell(pts[0].X, pts[0].Y)
			grid[r][c] = '·'
		}
	}
	marks := []rune("ox+*#@")
	for i, s := range f.Points {
		for _, p := range finitePoints(s) {
			r, c := cell(p.X, p.Y)
			grid[r][c] = marks[i%len(marks)]
		}
	}
	for r, row := range grid {
		label := ""
		switch r {
		case 0:
			label = top
		case height - 1:
			label = bottom
		}
		fmt.Fprintf(&b, "%*s │%s\n", lw, label, strings.TrimRight(string(row), " "))
	}
	fmt.Fprintf(&b, "%*s └%s\n", lw, "", strings.Repeat("─", pw))
	fmt.Fprintf(&b, "%*s  %-*s%s", lw, "", pw-len(axisNumber(xmax)), axisNumber(xmin), axisNumber(xmax))
	var legend []string
	for i, s := range f.Points {
		if s.Name != "" {
			legend = append(legend, fmt.Sprintf("%c %s", marks[i%len(marks)], s.Name))
		}
	}
	for _, s := range f.Lines {
		if s.Name != "" {
			legend = append(legend, "· "+s.Name)
		}
	}
	if len(legend) > 0 {
		b.WriteString("\n" + strings.Join(legend, "   "))
	}
	return b.String()
}

// String renders the figure as a text chart of the default size.
func (f *ScatterFigure) String() string { return f.TextChart(DefaultTextWidth, DefaultTextHeight) }

// MIMEBundle renders the figure as text, PNG and SVG.
func (f *ScatterFigure) MIMEBundle() MIME {
	m := MIME{MIMEText: []byte(f.String())}
	if png, err := f.PNG(); err == nil {
		m[MIMEPNG] = png
	}
	if svg, err := f.SVG(); err == nil {
		m[MIMESVG] = svg
	}
	return m
}
