package viz

import (
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"golang.org/x/term"
)

// LiveLoss is a live view of a training loop: in a GoNB notebook, a progress
// line and the loss curve in one output block that updates in place; on a
// terminal, a progress bar on standard error redrawn on one line; elsewhere
// (output redirected to a file or a pipe) one summary line when done.
// Redraws are throttled to one per Every, so Add costs nothing measurable in
// a tight loop.
//
//	lv := viz.NewLiveLoss(numEpochs)
//	for epoch := 0; epoch < numEpochs; epoch++ {
//		loss := …
//		lv.Add(loss.Item())
//	}
//	lv.Done()
type LiveLoss struct {
	// Title heads the loss curve (default "Training loss").
	Title string
	// Every is the least time between two redraws (default 250ms in a
	// notebook, 100ms on a terminal). The first value and Done always draw.
	Every time.Duration

	total    int
	losses   []float64
	start    time.Time // first Add
	lastAdd  time.Time
	lastDraw time.Time
	draws    int
	done     bool

	mode     liveMode
	id       string    // notebook display id
	out      io.Writer // terminal
	now      func() time.Time
	sendHTML func(id, html, text string)
}

type liveMode int

const (
	liveNotebook liveMode = iota
	liveTerminal
	livePlain
)

// NewLiveLoss starts a live view of a loop of total steps (0 when the number
// is not known: no bar, just the count).
func NewLiveLoss(total int) *LiveLoss {
	l := &LiveLoss{total: total, now: time.Now, out: os.Stderr}
	switch {
	case IsNotebook():
		l.mode = liveNotebook
		l.id = "gt-live-" + gonbui.UniqueId()
		l.sendHTML = func(id, h, text string) {
			notebookSend(&protocol.DisplayData{
				Data:      map[protocol.MIMEType]any{protocol.MIMETextHTML: h, protocol.MIMETextPlain: text},
				DisplayID: id,
			})
		}
	case term.IsTerminal(int(os.Stderr.Fd())):
		l.mode = liveTerminal
	default:
		l.mode = livePlain
	}
	return l
}

// Add records the loss of one more step and redraws the view if Every has
// passed since the last redraw.
func (l *LiveLoss) Add(loss float64) {
	t := l.now()
	if len(l.losses) == 0 {
		l.start = t
	}
	l.lastAdd = t
	l.losses = append(l.losses, loss)
	if l.draws == 0 || t.Sub(l.lastDraw) >= l.every() || (l.total > 0 && len(l.losses) == l.total) {
		l.draw(t, false)
	}
}

// Done draws the final state (the whole curve in a notebook; the full bar
// and a newline on a terminal; the summary line elsewhere). Calling it again
// does nothing.
func (l *LiveLoss) Done() {
	if l.done {
		return
	}
	l.done = true
	l.draw(l.now(), true)
	if l.mode == liveNotebook {
		notebookSync()
	}
}

// Losses returns the losses recorded so far.
func (l *LiveLoss) Losses() []float64 { return append([]float64(nil), l.losses...) }

// Figure returns the loss curve as a figure (x = step, from 1).
func (l *LiveLoss) Figure() *Figure {
	xs := make([]float64, len(l.losses))
	for i := range xs {
		xs[i] = float64(i + 1)
	}
	title := l.Title
	if title == "" {
		title = "Training loss"
	}
	return LinePlot(l.losses, PlotOptions{Title: title, XLabel: "step", YLabel: "loss", X: xs})
}

func (l *LiveLoss) every() time.Duration {
	switch {
	case l.Every > 0:
		return l.Every
	case l.mode == liveNotebook:
		return 250 * time.Millisecond
	}
	return 100 * time.Millisecond
}

// draw redraws the view for the current state.
func (l *LiveLoss) draw(t time.Time, final bool) {
	l.lastDraw = t
	l.draws++
	switch l.mode {
	case liveNotebook:
		l.sendHTML(l.id, l.html(t, final), l.progressText(t))
	case liveTerminal:
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(l.out, "\r\x1b[K%s%s", l.bar(t, 30), end)
	case livePlain:
		if final {
			fmt.Fprintln(l.out, l.progressText(t))
		}
	}
}

// progressText is the one-line summary: steps, last loss, rate, time.
func (l *LiveLoss) progressText(t time.Time) string {
	n := len(l.losses)
	var b strings.Builder
	if l.total > 0 {
		fmt.Fprintf(&b, "%d/%d", n, l.total)
	} else {
		fmt.Fprintf(&b, "%d", n)
	}
	if n > 0 {
		fmt.Fprintf(&b, "  loss %.4f", l.losses[n-1])
		if n > 1 {
			fmt.Fprintf(&b, " (min %.4f)", minFinite(l.losses))
		}
	}
	if run := l.lastAdd.Sub(l.start); n > 1 && run > 0 {
		fmt.Fprintf(&b, "  %.1f steps/s", float64(n-1)/run.Seconds())
	}
	fmt.Fprintf(&b, "  %s", t.Sub(l.start).Round(time.Millisecond))
	return b.String()
}

// bar renders "[████░░░░] " followed by the progress text.
func (l *LiveLoss) bar(t time.Time, width int) string {
	if l.total <= 0 {
		return l.progressText(t)
	}
	filled := min(width, len(l.losses)*width/l.total)
	return "[" + strings.Repeat("█", filled) + strings.Repeat("░", width-filled) + "] " + l.progressText(t)
}

// html renders the notebook block: a progress bar and line, then the curve.
func (l *LiveLoss) html(t time.Time, final bool) string {
	var b strings.Builder
	b.WriteString(`<div class="gt-live" style="font-family:monospace">`)
	if l.total > 0 {
		fmt.Fprintf(&b, `<progress value="%d" max="%d" style="width:240px"></progress> `, len(l.losses), l.total)
	}
	b.WriteString(html.EscapeString(l.progressText(t)))
	if final {
		b.WriteString(" — done")
	}
	if len(l.losses) > 1 {
		if png, err := l.Figure().PNG(); err == nil {
			fmt.Fprintf(&b, `<br><img alt="%s" src="data:image/png;base64,%s">`,
				html.EscapeString(l.Figure().Opts.Title), base64.StdEncoding.EncodeToString(png))
		}
	}
	b.WriteString("</div>")
	return b.String()
}

// minFinite returns the smallest finite value (NaN if none).
func minFinite(v []float64) float64 {
	m := math.NaN()
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) && (math.IsNaN(m) || x < m) {
			m = x
		}
	}
	return m
}
