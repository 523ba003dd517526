// Package viz renders values for people: PyTorch-style text, HTML tables for
// tensors, line plots (PNG, SVG and a block-character chart for terminals
// without images) and inline terminal images (kitty, iTerm2, sixel).
//
// viz only renders; deciding what to show and where belongs to the REPL and
// the notebook kernel. Bundle turns any value into a MIME bundle, the unit
// both front ends display:
//
//	b := viz.Bundle(tl.Ones(2, 2))
//	fmt.Println(string(b[viz.MIMEText]))
//
// Plots:
//
//	fig := viz.LinePlot(losses, viz.PlotOptions{Title: "loss"})
//	png, err := fig.PNG()
package viz
