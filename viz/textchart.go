package viz

import (
	"fmt"
	"math"
	"strings"
)

// TextChart draws the figure with block characters (█ ▀ ▄) in a box of
// width×height character cells, y-axis labels included: the fallback for
// terminals that cannot show images. Each cell holds two vertical pixels.
func (f *Figure) TextChart(width, height int) string {
	if width < 20 {
		width = 20
	}
	if height < 4 {
		height = 4
	}
	xmin, xmax, ymin, ymax, ok := f.bounds()
	var b strings.Builder
	if f.Opts.Title != "" {
		b.WriteString(center(f.Opts.Title, width))
		b.WriteByte('\n')
	}
	if !ok {
		b.WriteString("(empty plot)")
		return b.String()
	}
	if ymax == ymin {
		ymin, ymax = ymin-1, ymax+1
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	top, bottom := axisNumber(ymax), axisNumber(ymin)
	lw := max(len(top), len(bottom))
	pw := width - lw - 2 // label, space, axis line
	rows := 2 * height
	grid := make([][]bool, rows) // grid[r][c], r = 0 at the bottom
	for r := range grid {
		grid[r] = make([]bool, pw)
	}
	yPix := func(y float64) int {
		r := int(math.Round((y - ymin) / (ymax - ymin) * float64(rows-1)))
		return min(max(r, 0), rows-1)
	}
	for _, s := range f.Series {
		type span struct {
			lo, hi, first, last float64
			set                 bool
		}
		cols := make([]span, pw)
		for i, y := range s.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			c := int((s.X[i] - xmin) / (xmax - xmin) * float64(pw-1))
			c = min(max(c, 0), pw-1)
			sp := &cols[c]
			if !sp.set {
				*sp = span{lo: y, hi: y, first: y, last: y, set: true}
				continue
			}
			sp.lo, sp.hi, sp.last = math.Min(sp.lo, y), math.Max(sp.hi, y), y
		}
		// Fill gaps by linear interpolation, then join neighbours.
		prev := -1
		for c := 0; c < pw; c++ {
			if !cols[c].set {
				continue
			}
			if prev >= 0 && c-prev > 1 {
				a, z := cols[prev].last, cols[c].first
				for k := prev + 1; k < c; k++ {
					y := a + (z-a)*float64(k-prev)/float64(c-prev)
					cols[k] = span{lo: y, hi: y, first: y, last: y, set: true}
				}
			}
			prev = c
		}
		for c := 1; c < pw; c++ {
			if cols[c].set && cols[c-1].set {
				mid := (cols[c-1].last + cols[c].first) / 2
				cols[c-1].lo, cols[c-1].hi = math.Min(cols[c-1].lo, mid), math.Max(cols[c-1].hi, mid)
				cols[c].lo, cols[c].hi = math.Min(cols[c].lo, mid), math.Max(cols[c].hi, mid)
			}
		}
		for c, sp := range cols {
			if !sp.set {
				continue
			}
			for r := yPix(sp.lo); r <= yPix(sp.hi); r++ {
				grid[r][c] = true
			}
		}
	}
	for row := height - 1; row >= 0; row-- {
		label := ""
		switch row {
		case height - 1:
			label = top
		case 0:
			label = bottom
		}
		fmt.Fprintf(&b, "%*s │", lw, label)
		for c := 0; c < pw; c++ {
			lower, upper := grid[2*row][c], grid[2*row+1][c]
			switch {
			case lower && upper:
				b.WriteRune('█')
			case upper:
				b.WriteRune('▀')
			case lower:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat(" ", lw+1) + "└" + strings.Repeat("─", pw) + "\n")
	left, right := axisNumber(xmin), axisNumber(xmax)
	gap := max(pw-len(left)-len(right), 1)
	b.WriteString(strings.Repeat(" ", lw+2) + left + strings.Repeat(" ", gap) + right)
	if f.Opts.XLabel != "" || f.Opts.YLabel != "" {
		b.WriteString("\n" + strings.Repeat(" ", lw+2))
		if f.Opts.YLabel != "" {
			b.WriteString("y: " + f.Opts.YLabel + "  ")
		}
		if f.Opts.XLabel != "" {
			b.WriteString("x: " + f.Opts.XLabel)
		}
	}
	return b.String()
}

// bounds returns the data range over every finite point.
func (f *Figure) bounds() (xmin, xmax, ymin, ymax float64, ok bool) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range f.Series {
		for i, y := range s.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				continue
			}
			ok = true
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
		}
	}
	return
}

// axisNumber formats an axis label compactly.
func axisNumber(v float64) string { return fmt.Sprintf("%.4g", v) }

func center(s string, width int) string {
	n := len([]rune(s))
	if n >= width {
		return s
	}
	return strings.Repeat(" ", (width-n)/2) + s
}
