package viz

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"io"

	"github.com/mattn/go-sixel"
)

// kittyChunk is the largest base64 payload of one kitty graphics command.
const kittyChunk = 4096

// WriteImage writes img to a terminal using protocol p, followed by a
// newline. It returns an error for NoImages.
func WriteImage(w io.Writer, p ImageProtocol, img image.Image) error {
	switch p {
	case Kitty, ITerm2:
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		if p == Kitty {
			return WriteKitty(w, buf.Bytes())
		}
		return WriteITerm2(w, buf.Bytes())
	case Sixel:
		if err := sixel.NewEncoder(w).Encode(img); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
	return fmt.Errorf("viz: no image protocol")
}

// WriteKitty writes a PNG with kitty's graphics protocol (transmit and
// display, base64 in chunks of 4096 bytes), followed by a newline.
func WriteKitty(w io.Writer, pngData []byte) error {
	enc := base64.StdEncoding.EncodeToString(pngData)
	var b bytes.Buffer
	for first := true; first || len(enc) > 0; first = false {
		n := min(kittyChunk, len(enc))
		part := enc[:n]
		enc = enc[n:]
		more := 0
		if len(enc) > 0 {
			more = 1
		}
		if first {
			fmt.Fprintf(&b, "\x1b_Ga=T,f=100,m=%d;%s\x1b\\", more, part)
		} else {
			fmt.Fprintf(&b, "\x1b_Gm=%d;%s\x1b\\", more, part)
		}
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// WriteITerm2 writes a PNG with iTerm2's inline image escape (OSC 1337),
// followed by a newline.
func WriteITerm2(w io.Writer, pngData []byte) error {
	_, err := fmt.Fprintf(w, "\x1b]1337;File=inline=1;size=%d;preserveAspectRatio=1:%s\a\n",
		len(pngData), base64.StdEncoding.EncodeToString(pngData))
	return err
}
