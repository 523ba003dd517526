package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gotensor/gt/repl"
	"github.com/gotensor/gt/viz"
)

// exitQuit is evalAndShow's status after :quit.
const exitQuit = -1

// display writes results and errors to the terminal or to plain streams.
type display struct {
	w, errw io.Writer
	width   func() int
	// images is the terminal's image protocol, decided at the first figure
	// (nil: never show images, as for pipes).
	images func() viz.ImageProtocol
}

// evalAndShow evaluates one input and shows its result or error; it
// returns 0, 1 after an error, or exitQuit.
func (d *display) evalAndShow(s *repl.Session, src string, ctx context.Context) int {
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := s.Eval(ctx, src)
	d.show(res)
	if errors.Is(err, repl.ErrQuit) {
		return exitQuit
	}
	if err != nil {
		fmt.Fprintln(d.errw, err)
		return 1
	}
	return 0
}

// show displays a result: figures as images when the terminal can show
// them, else as text sized to the terminal.
func (d *display) show(res repl.Result) {
	if res.Empty() {
		return
	}
	if len(res.Values) == 1 {
		if fig, ok := res.Values[0].(*viz.Figure); ok && fig != nil {
			if d.images != nil {
				if p := d.images(); p != viz.NoImages {
					if img, err := fig.Image(); err == nil && viz.WriteImage(d.w, p, img) == nil {
						return
					}
				}
			}
			w := d.width()
			if w <= 0 {
				w = 80
			}
			fmt.Fprintln(d.w, fig.TextChart(w-1, viz.DefaultTextHeight))
			return
		}
	}
	text := res.Text()
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	io.WriteString(d.w, text)
	// A graph (:graph) is drawn below its tree where the terminal shows images.
	if len(res.Values) == 1 && d.images != nil {
		if g, ok := res.Values[0].(*viz.GraphView); ok && g != nil {
			if p := d.images(); p != viz.NoImages {
				_ = viz.WriteImage(d.w, p, viz.GraphImage(g.Graph, g.Options))
			}
		}
	}
}

// terminalImages returns a function deciding, once, the image protocol of
// the controlling terminal: from the environment, else by a DA1 query.
func terminalImages() func() viz.ImageProtocol {
	decided := false
	var p viz.ImageProtocol
	return func() viz.ImageProtocol {
		if decided {
			return p
		}
		decided = true
		if q, sure := viz.DetectImageProtocol(os.Getenv); sure {
			p = q
			return p
		}
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return p
		}
		defer tty.Close()
		p = viz.DetectTerminalImages(tty, os.Getenv, 150*time.Millisecond)
		return p
	}
}
