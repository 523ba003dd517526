package viz

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"
)

// ImageProtocol is a way of showing images inline in a terminal.
type ImageProtocol int

// The image protocols viz can write.
const (
	NoImages ImageProtocol = iota // text charts only
	Kitty                         // kitty's graphics protocol (kitty, Ghostty, WezTerm)
	ITerm2                        // iTerm2's inline images (iTerm2, WezTerm, VS Code)
	Sixel                         // DEC sixel graphics (xterm -ti vt340, foot, mlterm, …)
)

// String names the protocol as the GT_IMAGES variable spells it.
func (p ImageProtocol) String() string {
	switch p {
	case Kitty:
		return "kitty"
	case ITerm2:
		return "iterm2"
	case Sixel:
		return "sixel"
	}
	return "none"
}

// ParseImageProtocol parses the names String returns ("text" and "off"
// also mean NoImages).
func ParseImageProtocol(s string) (ImageProtocol, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "kitty":
		return Kitty, true
	case "iterm2", "iterm":
		return ITerm2, true
	case "sixel":
		return Sixel, true
	case "none", "text", "off", "0":
		return NoImages, true
	}
	return NoImages, false
}

// DetectImageProtocol decides the image protocol from environment variables
// (getenv is usually os.Getenv): GT_IMAGES overrides everything; then
// KITTY_WINDOW_ID, TERM and TERM_PROGRAM, LC_TERMINAL. sure is false when the
// environment cannot tell; a DA1 query (QueryDA1) should then decide whether
// sixel works.
func DetectImageProtocol(getenv func(string) string) (p ImageProtocol, sure bool) {
	if v := getenv("GT_IMAGES"); v != "" {
		if p, ok := ParseImageProtocol(v); ok {
			return p, true
		}
	}
	termName := getenv("TERM")
	prog := getenv("TERM_PROGRAM")
	switch {
	case termName == "dumb":
		return NoImages, true
	case getenv("KITTY_WINDOW_ID") != "" || termName == "xterm-kitty" || termName == "xterm-ghostty" || prog == "ghostty":
		return Kitty, true
	case prog == "iTerm.app" || prog == "WezTerm" || getenv("LC_TERMINAL") == "iTerm2":
		return ITerm2, true
	case strings.HasPrefix(termName, "foot") || strings.HasPrefix(termName, "mlterm") ||
		strings.HasPrefix(termName, "yaft") || strings.Contains(termName, "sixel"):
		return Sixel, true
	case termName == "":
		return NoImages, true
	}
	return NoImages, false
}

// ParseDA1 parses a Primary Device Attributes reply ("\x1b[?62;4;22c") and
// returns its attributes; attribute 4 means sixel graphics.
func ParseDA1(b []byte) (attrs []int, ok bool) {
	pos := bytes.Index(b, []byte("\x1b[?"))
	if pos < 0 {
		return nil, false
	}
	b = b[pos+3:]
	end := bytes.IndexByte(b, 'c')
	if end < 0 {
		return nil, false
	}
	for _, f := range bytes.Split(b[:end], []byte(";")) {
		n, err := strconv.Atoi(string(f))
		if err != nil {
			return nil, false
		}
		attrs = append(attrs, n)
	}
	return attrs, true
}

// HasSixel reports whether DA1 attributes include sixel graphics.
func HasSixel(attrs []int) bool {
	for _, a := range attrs {
		if a == 4 {
			return true
		}
	}
	return false
}

// ErrNoReply is returned by QueryDA1 when the terminal does not answer in
// time.
var ErrNoReply = errors.New("viz: the terminal did not answer the device attributes query")

// QueryDA1 asks the terminal on tty (usually /dev/tty, opened read-write)
// for its Primary Device Attributes and returns them, waiting at most
// timeout. It puts the terminal in raw mode for the exchange and restores it.
func QueryDA1(tty *os.File, timeout time.Duration) ([]int, error) {
	rc, err := tty.SyscallConn()
	if err != nil {
		return nil, err
	}
	var state *term.State
	var rawErr error
	if err := rc.Control(func(fd uintptr) { state, rawErr = term.MakeRaw(int(fd)) }); err != nil {
		return nil, err
	}
	if rawErr != nil {
		return nil, rawErr
	}
	defer rc.Control(func(fd uintptr) { _ = term.Restore(int(fd), state) })
	if _, err := tty.Write([]byte("\x1b[c")); err != nil {
		return nil, err
	}
	if err := tty.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	defer tty.SetReadDeadline(time.Time{})
	var buf []byte
	chunk := make([]byte, 64)
	for len(buf) < 256 {
		n, err := tty.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if attrs, ok := ParseDA1(buf); ok {
			return attrs, nil
		}
		if err != nil {
			return nil, ErrNoReply
		}
	}
	return nil, ErrNoReply
}

// DetectTerminalImages decides the image protocol of the terminal on tty:
// from the environment when it can tell, else by a DA1 query (sixel or
// nothing) waiting at most timeout.
func DetectTerminalImages(tty *os.File, getenv func(string) string, timeout time.Duration) ImageProtocol {
	if p, sure := DetectImageProtocol(getenv); sure || tty == nil {
		return p
	}
	attrs, err := QueryDA1(tty, timeout)
	if err == nil && HasSixel(attrs) {
		return Sixel
	}
	return NoImages
}
