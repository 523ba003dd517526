package viz

import (
	"bytes"
	"errors"
	"image/png"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

func TestBundleTensor(t *testing.T) {
	x := tl.FromFloat32s([]float32{1, 2.5, -3, 4}, 2, 2).SetRequiresGrad(true)
	y := x.MulScalar(2)
	b := Bundle(y)
	if got, want := b.Text(), y.String(); got != want {
		t.Errorf("text/plain = %q, want the repr %q", got, want)
	}
	html := string(b[MIMEHTML])
	for _, want := range []string{"<td>[2, 2]</td>", "<td>torch.float32</td>", "<td>true</td>", "<td>MulBackward0</td>", ">-6.</td>", ">5.</td>"} {
		if !strings.Contains(html, want) {
			t.Errorf("text/html lacks %q:\n%s", want, html)
		}
	}
}

func TestTensorHTMLSummarised(t *testing.T) {
	big := tl.Arange(2000)
	html := TensorHTML(big)
	if !strings.Contains(html, "...") || strings.Contains(html, "<table class=\"gt-tensor-values\">") {
		t.Errorf("a 2000-element tensor should be summarised:\n%.300s", html)
	}
	small := TensorHTML(tl.Arange(3))
	if !strings.Contains(small, `<table class="gt-tensor-values"><tr>`) || !strings.Contains(small, ">2</td>") {
		t.Errorf("a small vector should be a grid:\n%s", small)
	}
	if !strings.Contains(TensorHTML(tl.FromBools([]bool{true}, 1)), ">True</td>") {
		t.Error("bools print as PyTorch does")
	}
}

func TestText(t *testing.T) {
	var nilErr *tl.Error
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "<nil>"},
		{3, "3"},
		{"s", `"s"`},
		{[]int{1, 2}, "[1 2]"},
		{errors.New("boom"), "boom"},
		{nilErr, "<nil>"},
		{tl.Arange(2), "tensor([0, 1])"},
	} {
		if got := Text(c.v); got != c.want {
			t.Errorf("Text(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestLinePlotRenders(t *testing.T) {
	ys := []float64{5, 3, 2, 1.5, 1.2, 1.1}
	fig := LinePlot(ys, PlotOptions{Title: "loss", XLabel: "epoch"})
	data, err := fig.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != DefaultWidth || b.Dy() != DefaultHeight {
		t.Errorf("PNG is %v, want %dx%d", b, DefaultWidth, DefaultHeight)
	}
	svg, err := fig.SVG()
	if err != nil || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("loss")) {
		t.Errorf("SVG: %v %.200s", err, svg)
	}
	b := Bundle(fig)
	for _, m := range []string{MIMEText, MIMEPNG, MIMESVG} {
		if len(b[m]) == 0 {
			t.Errorf("figure bundle lacks %s", m)
		}
	}
}

func TestLinePlotInputs(t *testing.T) {
	if n := len(LinePlot(tl.Arange(5)).Series); n != 1 {
		t.Errorf("1-D tensor: %d series", n)
	}
	f := LinePlot(tl.Ones(4, 3))
	if len(f.Series) != 3 || len(f.Series[0].Y) != 4 {
		t.Errorf("(4, 3) tensor: %d series of %d", len(f.Series), len(f.Series[0].Y))
	}
	if n := len(Plot([]float32{1, 2}, []int{3, 4}).Series); n != 2 {
		t.Errorf("Plot of two slices: %d series", n)
	}
	err := tl.Catch(func() { LinePlot("not numbers") })
	if err == nil || !strings.Contains(err.Error(), "cannot plot a string") {
		t.Errorf("LinePlot(string) = %v", err)
	}
	err = tl.Catch(func() { LinePlot([]float64{1, 2}, PlotOptions{X: []float64{1}}) })
	if err == nil {
		t.Error("mismatched X accepted")
	}
}

func TestTextChart(t *testing.T) {
	up := LinePlot([]float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	chart := up.TextChart(40, 6)
	lines := strings.Split(chart, "\n")
	if len(lines) != 8 { // 6 rows, the axis, the x labels
		t.Fatalf("chart has %d lines:\n%s", len(lines), chart)
	}
	for _, l := range lines {
		if n := len([]rune(l)); n > 40 {
			t.Errorf("line wider than 40 cells (%d): %q", n, l)
		}
	}
	// Rising data: the top row is filled at the right, the bottom at the left.
	top, bottom := []rune(lines[0]), []rune(lines[5])
	if !strings.HasPrefix(lines[0], "9 │") || !strings.HasPrefix(lines[5], "0 │") {
		t.Errorf("y labels wrong:\n%s", chart)
	}
	if top[len(top)-1] == ' ' || bottom[3] == ' ' || top[3] != ' ' {
		t.Errorf("rising line drawn wrongly:\n%s", chart)
	}
	if !strings.Contains(LinePlot([]float64{}).TextChart(30, 5), "empty") {
		t.Error("an empty plot should say so")
	}
	flat := LinePlot([]float64{2, 2, 2}).TextChart(30, 4)
	if !strings.ContainsAny(flat, "█▀▄") {
		t.Errorf("a constant series draws nothing:\n%s", flat)
	}
}

func TestDetectImageProtocol(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want ImageProtocol
		sure bool
	}{
		{map[string]string{"GT_IMAGES": "sixel", "TERM": "xterm-kitty"}, Sixel, true},
		{map[string]string{"KITTY_WINDOW_ID": "1", "TERM": "xterm-256color"}, Kitty, true},
		{map[string]string{"TERM": "xterm-kitty"}, Kitty, true},
		{map[string]string{"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, ITerm2, true},
		{map[string]string{"LC_TERMINAL": "iTerm2", "TERM": "screen"}, ITerm2, true},
		{map[string]string{"TERM": "foot"}, Sixel, true},
		{map[string]string{"TERM": "dumb"}, NoImages, true},
		{map[string]string{}, NoImages, true},
		{map[string]string{"TERM": "xterm-256color"}, NoImages, false},
		{map[string]string{"GT_IMAGES": "none", "TERM": "xterm-kitty"}, NoImages, true},
	} {
		p, sure := DetectImageProtocol(func(k string) string { return c.env[k] })
		if p != c.want || sure != c.sure {
			t.Errorf("%v: got %v sure=%v, want %v sure=%v", c.env, p, sure, c.want, c.sure)
		}
	}
}

func TestParseDA1(t *testing.T) {
	attrs, ok := ParseDA1([]byte("\x1b[?62;4;22c"))
	if !ok || !HasSixel(attrs) {
		t.Errorf("xterm with sixel: %v %v", attrs, ok)
	}
	attrs, ok = ParseDA1([]byte("junk\x1b[?1;2c"))
	if !ok || HasSixel(attrs) {
		t.Errorf("vt100: %v %v", attrs, ok)
	}
	if _, ok := ParseDA1([]byte("\x1b[?62;4")); ok {
		t.Error("an unfinished reply parsed")
	}
}

func TestWriteImage(t *testing.T) {
	img, err := LinePlot([]float64{1, 2, 3}, PlotOptions{Width: 64, Height: 48}).Image()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p            ImageProtocol
		prefix, tail string
	}{
		{Kitty, "\x1b_Ga=T,f=100,", "\x1b\\\n"},
		{ITerm2, "\x1b]1337;File=inline=1;size=", "\a\n"},
		{Sixel, "\x1bP", "\x1b\\\n"},
	} {
		var buf bytes.Buffer
		if err := WriteImage(&buf, c.p, img); err != nil {
			t.Fatalf("%v: %v", c.p, err)
		}
		s := buf.String()
		if !strings.HasPrefix(s, c.prefix) || !strings.HasSuffix(s, c.tail) {
			t.Errorf("%v: %q … %q", c.p, s[:min(len(s), 40)], s[max(0, len(s)-10):])
		}
	}
	if WriteImage(&bytes.Buffer{}, NoImages, img) == nil {
		t.Error("NoImages should fail")
	}
	// Kitty splits payloads into chunks of at most 4096 bytes.
	var buf bytes.Buffer
	if err := WriteKitty(&buf, bytes.Repeat([]byte{7}, 9000)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "\x1b_G"); n != 3 {
		t.Errorf("9000 bytes sent in %d chunks, want 3", n)
	}
}
