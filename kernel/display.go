package kernel

import (
	"encoding/base64"
	"strings"

	"github.com/gotensor/gt/viz"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Rich output. Values shown by a cell (its final expression, a magic's
// result) are sent as execute_result or display_data; viz.Display,
// viz.NewLiveLoss and the other GoNB-aware calls of package viz reach the
// kernel through GoNB's display protocol, served in-process (bridge*.go).

// mimeData converts a viz bundle to a Jupyter data dictionary: text formats
// as strings, images as base64. An SVG is dropped when the bundle also has
// HTML or a PNG of the same picture (as viz does for GoNB): notebooks stay
// small and render it once.
func mimeData(m viz.MIME) map[string]any {
	data := make(map[string]any, len(m))
	_, hasHTML := m[viz.MIMEHTML]
	_, hasPNG := m[viz.MIMEPNG]
	for mime, content := range m {
		if mime == viz.MIMESVG && (hasHTML || hasPNG) {
			continue
		}
		if isTextMIME(mime) {
			data[mime] = string(content)
		} else {
			data[mime] = base64.StdEncoding.EncodeToString(content)
		}
	}
	if _, ok := data[viz.MIMEText]; !ok {
		data[viz.MIMEText] = ""
	}
	return data
}

// isTextMIME reports whether a MIME type's content travels as a string.
func isTextMIME(mime string) bool {
	return strings.HasPrefix(mime, "text/") || strings.HasSuffix(mime, "+xml") ||
		strings.HasSuffix(mime, "json") || mime == "application/javascript"
}

// onDisplay publishes a display sent through GoNB's protocol.
func (k *Kernel) onDisplay(dd *protocol.DisplayData) {
	data := map[string]any{}
	for mime, v := range dd.Data {
		switch x := v.(type) {
		case string:
			data[string(mime)] = x
		case []byte:
			if isTextMIME(string(mime)) {
				data[string(mime)] = string(x)
			} else {
				data[string(mime)] = base64.StdEncoding.EncodeToString(x)
			}
		}
	}
	if len(data) == 0 {
		return // comms, input requests: not supported
	}
	if _, ok := data[viz.MIMEText]; !ok {
		data[viz.MIMEText] = ""
	}
	md := map[string]any{}
	for key, v := range dd.Metadata {
		md[key] = v
	}
	k.display(data, md, dd.DisplayID)
}

// display publishes display_data (or update_display_data for a display id
// already shown), after the output written before it.
func (k *Kernel) display(data, metadata map[string]any, displayID string) {
	k.flushOutput()
	if metadata == nil {
		metadata = map[string]any{}
	}
	content := map[string]any{"data": data, "metadata": metadata}
	msgType := "display_data"
	if displayID != "" {
		content["transient"] = map[string]any{"display_id": displayID}
		k.runMu.Lock()
		if k.displayIDs[displayID] {
			msgType = "update_display_data"
		}
		k.displayIDs[displayID] = true
		k.runMu.Unlock()
	}
	k.publish(msgType, k.outputParent(), content)
}

// displayBundle shows a viz bundle as display_data.
func (k *Kernel) displayBundle(m viz.MIME) { k.display(mimeData(m), nil, "") }

// clearOutput publishes clear_output for the running cell.
func (k *Kernel) clearOutput(wait bool) {
	k.flushOutput()
	k.publish("clear_output", k.outputParent(), map[string]any{"wait": wait})
}
