package viz

import (
	"fmt"
	"reflect"

	tl "github.com/gotensor/gt/tensorlib"
)

// MIME types used in bundles.
const (
	MIMEText = "text/plain"
	MIMEHTML = "text/html"
	MIMEPNG  = "image/png"
	MIMESVG  = "image/svg+xml"
)

// MIME is one value rendered in several formats, keyed by MIME type (the
// shape of a Jupyter display_data bundle). Text is always present.
type MIME map[string][]byte

// Text returns the bundle's text/plain representation.
func (m MIME) Text() string { return string(m[MIMEText]) }

// Displayer is implemented by compiled values that render themselves; Bundle
// uses their bundle as is (adding text/plain when missing).
type Displayer interface {
	MIMEBundle() MIME
}

// Bundle renders v for display: text/plain always (PyTorch's repr for
// tensors, %v for other values); text/html for tensors; image/png,
// image/svg+xml and a block-character chart for figures.
func Bundle(v any) MIME {
	switch x := v.(type) {
	case MIME:
		return x
	case *tl.Tensor:
		if x == nil {
			break
		}
		return MIME{MIMEText: []byte(x.String()), MIMEHTML: []byte(TensorHTML(x))}
	case *Figure:
		if x == nil {
			break
		}
		m := MIME{MIMEText: []byte(x.TextChart(DefaultTextWidth, DefaultTextHeight))}
		if png, err := x.PNG(); err == nil {
			m[MIMEPNG] = png
		}
		if svg, err := x.SVG(); err == nil {
			m[MIMESVG] = svg
		}
		return m
	case Displayer:
		m := x.MIMEBundle()
		if m == nil {
			m = MIME{}
		}
		if _, ok := m[MIMEText]; !ok {
			m[MIMEText] = []byte(Text(v))
		}
		return m
	}
	return MIME{MIMEText: []byte(Text(v))}
}

// Text renders v as text: PyTorch's repr for tensors, the chart for figures,
// the error message for errors, and fmt's %v for everything else (with
// strings quoted, as a REPL shows them).
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case *tl.Tensor:
		return x.String()
	case *Figure:
		if x == nil {
			return "<nil>"
		}
		return x.TextChart(DefaultTextWidth, DefaultTextHeight)
	case string:
		return fmt.Sprintf("%q", x)
	case error:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "<nil>"
		}
		return x.Error()
	case fmt.Stringer:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "<nil>"
		}
		return x.String()
	}
	return fmt.Sprintf("%v", v)
}
