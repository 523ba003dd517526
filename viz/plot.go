package viz

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Default figure sizes: pixels for images, cells for text charts.
const (
	DefaultWidth      = 480
	DefaultHeight     = 270
	DefaultTextWidth  = 72
	DefaultTextHeight = 14
)

// pixelDPI is the resolution images are rendered at: one point per pixel
// at 96 dpi, the CSS convention.
const pixelDPI = 96

// PlotOptions are a figure's optional settings; the zero value gives an
// untitled 480×270 plot with x = 0, 1, 2, ….
type PlotOptions struct {
	Title, XLabel, YLabel string
	X                     []float64 // x coordinates shared by every series (default: indices)
	Names                 []string  // legend entries, one per series (default: no legend)
	Width, Height         int       // image size in pixels (default 480×270)
}

// Series is one line of a figure.
type Series struct {
	Name string    // legend entry ("" for none)
	X, Y []float64 // coordinates, of equal length
}

// Figure is a line plot. It renders to PNG, SVG or a block-character chart;
// at the REPL or in a notebook, a figure shown as a value displays inline.
type Figure struct {
	Series []Series    // the lines, drawn in order
	Opts   PlotOptions // title, labels and size
}

// LinePlot makes a figure of one or more series from ys: a []float64,
// []float32, []int or []int64, a 1-D tensor (one series), or a 2-D tensor of
// shape (n, k) (k series of n points). It panics with *tl.Error on other
// values.
func LinePlot(ys any, opts ...PlotOptions) *Figure {
	var o PlotOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	f := &Figure{Opts: o}
	cols, err := seriesOf(ys)
	if err != nil {
		panic(&tl.Error{Op: "viz.LinePlot", Msg: err.Error()})
	}
	for i, y := range cols {
		s := Series{Y: y, X: o.X}
		if i < len(o.Names) {
			s.Name = o.Names[i]
		}
		if s.X == nil {
			s.X = indices(len(y))
		} else if len(s.X) != len(y) {
			panic(&tl.Error{Op: "viz.LinePlot", Msg: fmt.Sprintf("%d x values for %d y values", len(s.X), len(y))})
		}
		f.Series = append(f.Series, s)
	}
	return f
}

// Plot makes a figure with one series per argument (each as LinePlot
// accepts), with default options.
func Plot(ys ...any) *Figure {
	f := &Figure{}
	for _, y := range ys {
		f.Series = append(f.Series, LinePlot(y).Series...)
	}
	return f
}

// Floats converts a slice of numbers or a tensor to []float64 (tensors are
// flattened).
func Floats(v any) ([]float64, error) {
	switch x := v.(type) {
	case []float64:
		return append([]float64(nil), x...), nil
	case []float32:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
		return out, nil
	case []int:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
		return out, nil
	case []int64:
		out := make([]float64, len(x))
		for i, e := range x {
			out[i] = float64(e)
		}
		return out, nil
	case *tl.Tensor:
		if x == nil {
			return nil, fmt.Errorf("nil tensor")
		}
		return x.Detach().Float64s(), nil
	}
	return nil, fmt.Errorf("cannot plot a %T (want a slice of numbers or a tensor)", v)
}

// seriesOf splits ys into series: the columns of a 2-D tensor, else one.
func seriesOf(ys any) ([][]float64, error) {
	if t, ok := ys.(*tl.Tensor); ok && t != nil && t.Dim() == 2 {
		n, k := t.Size(0), t.Size(1)
		vals := t.Detach().Float64s()
		out := make([][]float64, k)
		for j := range out {
			out[j] = make([]float64, n)
			for i := 0; i < n; i++ {
				out[j][i] = vals[i*k+j]
			}
		}
		return out, nil
	}
	if t, ok := ys.(*tl.Tensor); ok && t != nil && t.Dim() > 2 {
		return nil, fmt.Errorf("cannot plot a tensor of shape %s (want 1-D or 2-D)", shapeText(t.Shape()))
	}
	y, err := Floats(ys)
	if err != nil {
		return nil, err
	}
	return [][]float64{y}, nil
}

func indices(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}

// size returns the figure's size in pixels.
func (f *Figure) size() (int, int) {
	w, h := f.Opts.Width, f.Opts.Height
	if w <= 0 {
		w = DefaultWidth
	}
	if h <= 0 {
		h = DefaultHeight
	}
	return w, h
}

// plot builds the gonum plot.
func (f *Figure) plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = f.Opts.Title
	p.X.Label.Text = f.Opts.XLabel
	p.Y.Label.Text = f.Opts.YLabel
	p.Add(plotter.NewGrid())
	for i, s := range f.Series {
		pts := make(plotter.XYs, 0, len(s.Y))
		for j, y := range s.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			pts = append(pts, plotter.XY{X: s.X[j], Y: y})
		}
		if len(pts) == 0 {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		if s.Name != "" {
			p.Legend.Add(s.Name, l)
		}
	}
	return p, nil
}

func pixels(n int) vg.Length { return vg.Length(n) * vg.Inch / pixelDPI }

// Image draws the figure as an RGBA image of its size in pixels.
func (f *Figure) Image() (image.Image, error) {
	w, h := f.size()
	return plotImage(f.plot, w, h)
}

// PNG encodes the figure as a PNG image.
func (f *Figure) PNG() ([]byte, error) { return encodePNG(f.Image()) }

// SVG encodes the figure as an SVG document.
func (f *Figure) SVG() ([]byte, error) {
	w, h := f.size()
	return plotSVG(f.plot, w, h)
}

// plotImage draws the plot that build makes as a w×h-pixel image.
func plotImage(build func() (*plot.Plot, error), w, h int) (image.Image, error) {
	p, err := build()
	if err != nil {
		return nil, err
	}
	c := vgimg.NewWith(vgimg.UseWH(pixels(w), pixels(h)), vgimg.UseDPI(pixelDPI))
	p.Draw(draw.New(c))
	return c.Image(), nil
}

// plotSVG draws the plot that build makes as a w×h-pixel SVG document.
func plotSVG(build func() (*plot.Plot, error), w, h int) ([]byte, error) {
	p, err := build()
	if err != nil {
		return nil, err
	}
	c := vgsvg.NewWith(vgsvg.UseWH(pixels(w), pixels(h)))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodePNG encodes an image (or passes on the error that drawing it gave).
func encodePNG(img image.Image, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// String renders the figure as a block-character chart of the default size.
func (f *Figure) String() string { return f.TextChart(DefaultTextWidth, DefaultTextHeight) }
