package viz

import (
	"bytes"
	"encoding/gob"
	"errors"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// fakeKernel plays GoNB's side of the pipes: it decodes every message the
// cell program sends on GONB_PIPE and answers gonbui.Sync requests on
// GONB_PIPE_BACK, as the kernel does.
type fakeKernel struct {
	pipe, back string
	msgs       chan *protocol.DisplayData
	syncs      int
	errc       chan error
}

func startFakeKernel(t *testing.T) *fakeKernel {
	dir := t.TempDir()
	k := &fakeKernel{
		pipe: filepath.Join(dir, "gonb_pipe"),
		back: filepath.Join(dir, "gonb_pipe_back"),
		msgs: make(chan *protocol.DisplayData, 1000),
		errc: make(chan error, 1),
	}
	for _, p := range []string{k.pipe, k.back} {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
	}
	acks := make(chan int, 100)
	go func() {
		// Opening a FIFO blocks until the program opens the other end.
		w, err := os.OpenFile(k.back, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		enc := gob.NewEncoder(w)
		for id := range acks {
			if enc.Encode(&protocol.CommValue{Address: protocol.GonbuiSyncAckAddress, Value: id}) != nil {
				return
			}
		}
	}()
	go func() {
		defer close(k.msgs)
		defer close(acks)
		r, err := os.Open(k.pipe)
		if err != nil {
			k.errc <- err
			return
		}
		defer r.Close()
		dec := gob.NewDecoder(r)
		for {
			m := &protocol.DisplayData{}
			if err := dec.Decode(m); err != nil {
				if !errors.Is(err, io.EOF) {
					k.errc <- err
				}
				return
			}
			if v, ok := m.Data[protocol.MIMECommValue]; ok {
				if cv, ok := v.(protocol.CommValue); ok && cv.Address == protocol.GonbuiSyncAddress {
					k.syncs++
					acks <- cv.Value.(int)
					continue
				}
			}
			k.msgs <- m
		}
	}()
	return k
}

// TestNotebookChild is the cell program of TestNotebookBridge: it only runs
// as the bridge's subprocess.
func TestNotebookChild(t *testing.T) {
	if os.Getenv("GT_VIZ_NOTEBOOK_CHILD") == "" {
		t.Skip("runs as TestNotebookBridge's subprocess")
	}
	if !IsNotebook() {
		t.Fatal("GONB_PIPE is set but IsNotebook() is false")
	}
	NotebookSyncTimeout = 20 * time.Second // a lost ack fails the parent's time check
	w := tl.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	Display(w)
	Display(LinePlot([]float64{3, 2, 1.5, 1.2}, PlotOptions{Title: "loss"}))
	Display(NewGraphView(w.MulScalar(2).Sum(), GraphOptions{}))
	Show("hello", 42)
	lv := NewLiveLoss(3)
	lv.Every = time.Hour // only the first step, the last step and Done draw
	for _, v := range []float64{3, 2, 1} {
		lv.Add(v)
	}
	lv.Done()
}

// TestNotebookBridge runs TestNotebookChild as a GoNB cell would run, with
// GONB_PIPE and GONB_PIPE_BACK naming a fake kernel's pipes, and checks what
// arrives: the display_data messages a notebook would show.
func TestNotebookBridge(t *testing.T) {
	if os.Getenv("GT_VIZ_NOTEBOOK_CHILD") != "" {
		t.Skip("child")
	}
	k := startFakeKernel(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestNotebookChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GT_VIZ_NOTEBOOK_CHILD=1",
		protocol.GONB_PIPE_ENV+"="+k.pipe, protocol.GONB_PIPE_BACK_ENV+"="+k.back)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("cell program: %v\n%s", err, out.String())
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("cell program took %v: syncs not acknowledged?", el)
	}
	var msgs []*protocol.DisplayData
	for m := range k.msgs {
		msgs = append(msgs, m)
	}
	select {
	case err := <-k.errc:
		t.Fatal(err)
	default:
	}
	if strings.Contains(out.String(), "tensor(") {
		t.Errorf("the cell program printed text instead of sending displays:\n%s", out.String())
	}
	if len(msgs) != 8 {
		for i, m := range msgs {
			t.Logf("message %d: %v, display id %q", i, keys(m), m.DisplayID)
		}
		t.Fatalf("got %d display messages, want 8 (tensor, figure, graph, two values, three live updates)", len(msgs))
	}
	// Every Display (5) and LiveLoss.Done (1) waits for the kernel.
	if k.syncs != 6 {
		t.Errorf("%d sync requests, want 6", k.syncs)
	}

	// The tensor: its repr as text, an HTML table with its metadata.
	w := tl.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2).SetRequiresGrad(true)
	if got := str(t, msgs[0], protocol.MIMETextPlain); got != w.String() {
		t.Errorf("tensor text/plain = %q, want %q", got, w.String())
	}
	if h := str(t, msgs[0], protocol.MIMETextHTML); !strings.Contains(h, `class="gt-tensor"`) || !strings.Contains(h, "<td>true</td>") {
		t.Errorf("tensor text/html = %q", h)
	}
	// The figure: a PNG (bytes, so Jupyter gets base64) and no SVG copy.
	pngData, ok := msgs[1].Data[protocol.MIMEImagePNG].([]byte)
	if !ok {
		t.Fatalf("figure image/png is %T", msgs[1].Data[protocol.MIMEImagePNG])
	}
	if img, err := png.Decode(bytes.NewReader(pngData)); err != nil || img.Bounds().Dx() != DefaultWidth {
		t.Errorf("figure PNG: %v", err)
	}
	if _, ok := msgs[1].Data[protocol.MIMEImageSVG]; ok {
		t.Error("figure sent both PNG and SVG")
	}
	if !strings.Contains(str(t, msgs[1], protocol.MIMETextPlain), "loss") {
		t.Error("figure text/plain lacks the title")
	}
	// The graph: inline SVG in HTML, the tree as text.
	if h := str(t, msgs[2], protocol.MIMETextHTML); !strings.Contains(h, "<svg") || !strings.Contains(h, "SumBackward0") {
		t.Errorf("graph text/html = %.200q", h)
	}
	if _, ok := msgs[2].Data[protocol.MIMEImageSVG]; ok {
		t.Error("graph sent its SVG twice")
	}
	if got := str(t, msgs[3], protocol.MIMETextPlain); got != `"hello"` {
		t.Errorf("string shown as %q", got)
	}
	if got := str(t, msgs[4], protocol.MIMETextPlain); got != "42" {
		t.Errorf("int shown as %q", got)
	}
	// The live view: one display id, updated in place; the last has the curve.
	live := msgs[5:]
	for i, m := range live {
		if m.DisplayID == "" || m.DisplayID != live[0].DisplayID {
			t.Errorf("live update %d has display id %q (first %q)", i, m.DisplayID, live[0].DisplayID)
		}
	}
	if got := str(t, live[0], protocol.MIMETextPlain); !strings.HasPrefix(got, "1/3  loss 3.0000") {
		t.Errorf("first live update's text/plain = %q", got)
	}
	if h := str(t, live[0], protocol.MIMETextHTML); !strings.Contains(h, "1/3") || strings.Contains(h, "<img") {
		t.Errorf("first live update = %q", h)
	}
	last := str(t, live[2], protocol.MIMETextHTML)
	if !strings.Contains(last, "3/3") || !strings.Contains(last, "loss 1.0000") || !strings.Contains(last, `src="data:image/png;base64,`) || !strings.Contains(last, "done") {
		t.Errorf("last live update = %.300q", last)
	}
}

func keys(m *protocol.DisplayData) []protocol.MIMEType {
	var k []protocol.MIMEType
	for key := range m.Data {
		k = append(k, key)
	}
	return k
}

// str returns a text entry of a message, failing unless it is a string.
func str(t *testing.T, m *protocol.DisplayData, mime protocol.MIMEType) string {
	t.Helper()
	s, ok := m.Data[mime].(string)
	if !ok {
		t.Fatalf("%s is %T, want a string (message has %v)", mime, m.Data[mime], keys(m))
	}
	return s
}

func TestNotebookData(t *testing.T) {
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`)
	tests := []struct {
		name string
		in   MIME
		want map[protocol.MIMEType]any
	}{
		{"text only", MIME{MIMEText: []byte("x")}, map[protocol.MIMEType]any{"text/plain": "x"}},
		{"svg alone goes in html", MIME{MIMEText: []byte("g"), MIMESVG: svg},
			map[protocol.MIMEType]any{"text/plain": "g", "text/html": "<div>" + string(svg) + "</div>"}},
		{"svg dropped beside html", MIME{MIMEText: []byte("g"), MIMESVG: svg, MIMEHTML: []byte("<b>g</b>")},
			map[protocol.MIMEType]any{"text/plain": "g", "text/html": "<b>g</b>"}},
		{"svg dropped beside png", MIME{MIMEText: []byte("f"), MIMESVG: svg, MIMEPNG: []byte{0x89, 'P'}},
			map[protocol.MIMEType]any{"text/plain": "f", "image/png": []byte{0x89, 'P'}}},
		{"text/plain added", MIME{MIMEHTML: []byte("<i>")}, map[protocol.MIMEType]any{"text/plain": "", "text/html": "<i>"}},
		{"json as text", MIME{"application/json": []byte(`{}`), MIMEText: []byte("j")},
			map[protocol.MIMEType]any{"text/plain": "j", "application/json": "{}"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := notebookData(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, w := range tc.want {
				switch w := w.(type) {
				case string:
					if g, ok := got[k].(string); !ok || g != w {
						t.Errorf("%s = %#v, want %q", k, got[k], w)
					}
				case []byte:
					if g, ok := got[k].([]byte); !ok || !bytes.Equal(g, w) {
						t.Errorf("%s = %#v, want bytes %v", k, got[k], w)
					}
				}
			}
		})
	}
}

func TestDisplayTextFallback(t *testing.T) {
	if IsNotebook() {
		t.Skip("running inside a notebook")
	}
	var buf bytes.Buffer
	old := textOut
	textOut = func() io.Writer { return &buf }
	defer func() { textOut = old }()
	x := tl.FromFloat32s([]float32{1.5, -2}, 2)
	Display(x)
	Show("a", 3)
	fig := LinePlot([]float64{1, 2, 3}, PlotOptions{Title: "rising"})
	Display(fig)
	want := x.String() + "\n\"a\"\n3\n" + fig.TextChart(DefaultTextWidth, DefaultTextHeight) + "\n"
	if buf.String() != want {
		t.Errorf("text fallback printed\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestDisplayHTMLFallback(t *testing.T) {
	if IsNotebook() {
		t.Skip("running inside a notebook")
	}
	var buf bytes.Buffer
	old := textOut
	textOut = func() io.Writer { return &buf }
	defer func() { textOut = old }()
	DisplayHTML("<b>hi</b>")
	if buf.String() != "<b>hi</b>\n" {
		t.Errorf("got %q", buf.String())
	}
}

// TestDisplayBrokenPipe checks that a notebook whose pipe to the kernel
// failed still gets the text, on standard output.
func TestDisplayBrokenPipe(t *testing.T) {
	var buf bytes.Buffer
	oldOut, oldSend, oldErr, oldNB := textOut, notebookSend, notebookErr, gonbui.IsNotebook
	defer func() { textOut, notebookSend, notebookErr, gonbui.IsNotebook = oldOut, oldSend, oldErr, oldNB }()
	textOut = func() io.Writer { return &buf }
	gonbui.IsNotebook = true
	sent := 0
	broken := errors.New("failed opening pipe")
	notebookSend = func(*protocol.DisplayData) { sent++ }
	notebookErr = func() error { return broken }
	Display(42)
	if sent != 0 || buf.String() != "42\n" {
		t.Errorf("broken before sending: sent %d, printed %q", sent, buf.String())
	}
	// The send itself fails: the text follows.
	buf.Reset()
	var err error
	notebookErr = func() error { return err }
	notebookSend = func(*protocol.DisplayData) { sent++; err = broken }
	Display("x")
	if sent != 1 || buf.String() != "\"x\"\n" {
		t.Errorf("failed send: sent %d, printed %q", sent, buf.String())
	}
}
