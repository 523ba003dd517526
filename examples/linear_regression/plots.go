package main

import (
	"image/color"
	"os"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// writePlots draws the walkthrough's two figures: the training loss per
// epoch, and the data with the learned line.
func writePlots(dir string, r result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lossPts := make(plotter.XYs, len(r.LossHistory))
	for i, v := range r.LossHistory {
		lossPts[i] = plotter.XY{X: float64(i), Y: v}
	}
	p := plot.New()
	p.Title.Text = "Training Loss over Epochs"
	p.X.Label.Text, p.Y.Label.Text = "Epoch", "Loss (MSE)"
	p.Add(plotter.NewGrid())
	line, err := plotter.NewLine(lossPts)
	if err != nil {
		return err
	}
	p.Add(line)
	if err := p.Save(8*vg.Inch, 6*vg.Inch, filepath.Join(dir, "loss.png")); err != nil {
		return err
	}

	xs, ys, pred := r.X.Float64s(), r.Y.Float64s(), r.Predicted.Float64s()
	data := make(plotter.XYs, len(xs))
	fit := make(plotter.XYs, len(xs))
	for i := range xs {
		data[i] = plotter.XY{X: xs[i], Y: ys[i]}
		fit[i] = plotter.XY{X: xs[i], Y: pred[i]}
	}
	sort.Slice(fit, func(i, j int) bool { return fit[i].X < fit[j].X })
	q := plot.New()
	q.Title.Text = "Linear Regression Result"
	q.X.Label.Text, q.Y.Label.Text = "X", "Y"
	q.Add(plotter.NewGrid())
	sc, err := plotter.NewScatter(data)
	if err != nil {
		return err
	}
	fl, err := plotter.NewLine(fit)
	if err != nil {
		return err
	}
	fl.Color = plotterRed
	q.Add(sc, fl)
	q.Legend.Add("Original Data", sc)
	q.Legend.Add("Learned Line", fl)
	return q.Save(8*vg.Inch, 6*vg.Inch, filepath.Join(dir, "regression.png"))
}

var plotterRed = color.RGBA{R: 220, A: 255}
