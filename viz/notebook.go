package viz

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// The GoNB bridge: in a Jupyter notebook run by the GoNB kernel, a cell is a
// Go program started with GONB_PIPE naming a pipe back to the kernel;
// gonbui sends display_data messages through it. Display is the one call a
// notebook needs; outside a notebook it prints text, so the same code runs
// with `go run`.

// IsNotebook reports whether the program runs in a GoNB notebook cell (the
// kernel set GONB_PIPE), where Display sends rich output.
func IsNotebook() bool { return gonbui.IsNotebook }

// NotebookSyncTimeout bounds how long Display waits for the kernel to
// acknowledge that it has received a display (so that output is not lost when
// the cell's program exits right after). A kernel that never answers only
// slows each Display by this much.
var NotebookSyncTimeout = 5 * time.Second

// notebookSend delivers one display message; tests replace it.
var notebookSend = gonbui.SendData

// notebookSyncFunc waits for the kernel to receive everything sent so far.
var notebookSyncFunc = gonbui.Sync

// notebookErr reports a broken connection to the kernel.
var notebookErr = gonbui.Error

// textOut is where Display writes outside a notebook.
var textOut = func() io.Writer { return os.Stdout }

// Display shows v as a notebook cell's output: in a GoNB notebook it sends
// v's MIME bundle (see Bundle): tensors as an HTML table with shape, dtype,
// requires_grad and grad_fn (summarised like PyTorch above HTMLMaxElements
// elements), figures as PNG images, autograd graphs (GraphView) and
// debugger steps as inline SVG/HTML, anything else as text. Outside a
// notebook it prints the text form to standard output, followed by a newline
// (as it does in a notebook whose pipe to the kernel has failed).
//
//	viz.Display(tl.Randn(3, 4))
//	viz.Display(viz.LinePlot(losses, viz.PlotOptions{Title: "loss"}))
//	viz.Display(viz.NewGraphView(loss, viz.GraphOptions{}))
func Display(v any) {
	m := Bundle(v)
	if IsNotebook() && notebookErr() == nil {
		notebookSend(&protocol.DisplayData{Data: notebookData(m)})
		if notebookErr() == nil {
			notebookSync()
			return
		}
	}
	fmt.Fprintln(textOut(), strings.TrimRight(m.Text(), "\n"))
}

// Show displays each value in turn, as Display does.
func Show(values ...any) {
	for _, v := range values {
		Display(v)
	}
}

// DisplayHTML shows an HTML fragment in a notebook; outside one it prints the
// HTML source.
func DisplayHTML(html string) {
	Display(MIME{MIMEHTML: []byte(html), MIMEText: []byte(html)})
}

// notebookData converts a bundle to the content of a Jupyter display_data
// message: text formats as strings (JSON strings in the message), binary
// images as bytes (base64 in the message, as Jupyter expects). SVG is sent
// inside text/html, as GoNB's own DisplaySVG does, because notebooks
// exported to HTML render image/svg+xml poorly; it is dropped when the bundle
// already has HTML or a PNG of the same picture.
func notebookData(m MIME) map[protocol.MIMEType]any {
	data := make(map[protocol.MIMEType]any, len(m))
	for mime, content := range m {
		if mime == MIMESVG {
			continue
		}
		if isTextMIME(mime) {
			data[protocol.MIMEType(mime)] = string(content)
		} else {
			data[protocol.MIMEType(mime)] = content
		}
	}
	if svg, ok := m[MIMESVG]; ok {
		_, hasHTML := m[MIMEHTML]
		_, hasPNG := m[MIMEPNG]
		if !hasHTML && !hasPNG {
			data[protocol.MIMETextHTML] = "<div>" + string(svg) + "</div>"
		}
	}
	if _, ok := data[protocol.MIMETextPlain]; !ok {
		data[protocol.MIMETextPlain] = ""
	}
	return data
}

// isTextMIME reports whether a MIME type's content travels as a string.
func isTextMIME(mime string) bool {
	return strings.HasPrefix(mime, "text/") || strings.HasSuffix(mime, "+xml") ||
		strings.HasSuffix(mime, "json") || mime == "application/javascript"
}

// notebookSync waits, at most NotebookSyncTimeout, for the kernel to
// acknowledge what was sent.
func notebookSync() {
	done := make(chan struct{})
	go func() {
		notebookSyncFunc()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(NotebookSyncTimeout):
	}
}
