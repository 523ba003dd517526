package viz

import (
	"bytes"
	"errors"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
)

// fakeClock advances by step on every reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

func TestLiveLossNotebookThrottle(t *testing.T) {
	tests := []struct {
		name      string
		steps     int
		stepTime  time.Duration
		every     time.Duration
		wantDraws int
	}{
		// 100 steps in 100 ms: the first, the last step, and Done.
		{"fast loop", 100, time.Millisecond, 0, 3},
		// 1000 steps of 10 ms: one redraw per 250 ms of the 10 s (40), the
		// last step, Done.
		{"slow loop", 1000, 10 * time.Millisecond, 0, 42},
		{"custom every", 1000, 10 * time.Millisecond, time.Second, 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(0, 0), step: tc.stepTime}
			var ids []string
			var last, lastText string
			l := &LiveLoss{total: tc.steps, mode: liveNotebook, id: "live-1", now: clock.now, Every: tc.every,
				sendHTML: func(id, h, text string) { ids = append(ids, id); last = h; lastText = text }}
			for i := 0; i < tc.steps; i++ {
				l.Add(float64(tc.steps - i))
			}
			l.Done()
			l.Done() // no effect
			if len(ids) != tc.wantDraws {
				t.Errorf("%d redraws, want %d", len(ids), tc.wantDraws)
			}
			for _, id := range ids {
				if id != "live-1" {
					t.Errorf("redraw to display id %q", id)
				}
			}
			if want := strconv.Itoa(tc.steps) + "/" + strconv.Itoa(tc.steps) + "  loss 1.0000"; !strings.HasPrefix(lastText, want) {
				t.Errorf("final text/plain %q, want it to start with %q", lastText, want)
			}
			want := []string{"<progress", `max="` + strconv.Itoa(tc.steps) + `"`, strconv.Itoa(tc.steps) + "/" + strconv.Itoa(tc.steps), "loss 1.0000", "done", "data:image/png;base64,"}
			for _, w := range want {
				if !strings.Contains(last, w) {
					t.Errorf("final block lacks %q: %.300s", w, last)
				}
			}
		})
	}
}

func TestLiveLossTerminal(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0), step: 30 * time.Millisecond}
	var buf bytes.Buffer
	l := &LiveLoss{total: 10, mode: liveTerminal, out: &buf, now: clock.now}
	for i := 0; i < 10; i++ {
		l.Add(float64(10 - i))
	}
	l.Done()
	out := buf.String()
	// 300 ms at 100 ms per redraw: the first, ~3 throttled, the last step, Done.
	if n := strings.Count(out, "\r"); n < 4 || n > 6 {
		t.Errorf("%d redraws, want 4 to 6:\n%q", n, out)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("want one newline, at the end: %q", out)
	}
	final := out[strings.LastIndex(out, "\r")+1:]
	if !strings.Contains(final, "["+strings.Repeat("█", 30)+"] 10/10  loss 1.0000 (min 1.0000)") {
		t.Errorf("final bar %q", final)
	}
	first := out[:strings.Index(out[1:], "\r")+1]
	if !strings.Contains(first, "["+strings.Repeat("█", 3)+strings.Repeat("░", 27)+"] 1/10  loss 10.0000") {
		t.Errorf("first bar %q", first)
	}
}

func TestLiveLossPlain(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0), step: time.Second}
	var buf bytes.Buffer
	l := &LiveLoss{mode: livePlain, out: &buf, now: clock.now}
	for i := 0; i < 5; i++ {
		l.Add(float64(i))
	}
	l.Done()
	if got := buf.String(); got != "5  loss 4.0000 (min 0.0000)  1.0 steps/s  5s\n" {
		t.Errorf("plain output %q", got)
	}
	if got := l.Losses(); len(got) != 5 || got[4] != 4 {
		t.Errorf("Losses() = %v", got)
	}
	pngData, err := l.Figure().PNG()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(pngData)); err != nil {
		t.Fatal(err)
	}
}

func TestNewLiveLossOutsideNotebook(t *testing.T) {
	if IsNotebook() {
		t.Skip("inside a notebook")
	}
	l := NewLiveLoss(3)
	if l.mode == liveNotebook {
		t.Fatal("notebook mode outside a notebook")
	}
	var buf bytes.Buffer
	l.out = &buf
	l.Add(1)
	l.Done()
	if !strings.Contains(buf.String(), "1/3  loss 1.0000") {
		t.Errorf("output %q", buf.String())
	}
}

func TestScatter(t *testing.T) {
	x := tl.FromFloat32s([]float32{3, 1, 2}, 3, 1)
	y := []float64{6, 2, 4}
	fig := Scatter(x, y, PlotOptions{Title: "fit", Names: []string{"data"}}).AddLine([]float64{3, 1, 2}, []float64{7, 3, 5}, "line")
	if got := fig.Lines[0].X; got[0] != 1 || got[1] != 2 || got[2] != 3 || fig.Lines[0].Y[0] != 3 {
		t.Errorf("line not sorted by x: %v %v", fig.Lines[0].X, fig.Lines[0].Y)
	}
	m := Bundle(fig)
	img, err := png.Decode(bytes.NewReader(m[MIMEPNG]))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != DefaultWidth || b.Dy() != DefaultHeight {
		t.Errorf("image %v", b)
	}
	if !bytes.Contains(m[MIMESVG], []byte("<svg")) {
		t.Error("no SVG")
	}
	text := m.Text()
	for _, w := range []string{"fit", "o", "·", "o data", "· line", "7 │", "2 │"} {
		if !strings.Contains(text, w) {
			t.Errorf("text chart lacks %q:\n%s", w, text)
		}
	}
	err = tl.Catch(func() { Scatter([]float64{1, 2}, []float64{1}) })
	var te *tl.Error
	if err == nil || !errors.As(err, &te) || !strings.Contains(te.Msg, "2 x values for 1 y values") {
		t.Errorf("mismatched lengths: %v", err)
	}
	if s := (&ScatterFigure{}).String(); !strings.Contains(s, "empty") {
		t.Errorf("empty scatter: %q", s)
	}
}
