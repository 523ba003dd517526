package kernel

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"time"
	"unicode/utf8"
)

// Output of evaluated code becomes stream messages. An outStream batches
// writes (a loop printing a line per step sends one message per
// streamDelay, not one per line) and is flushed before anything else is
// published for the cell, so text, displays and results keep their order.

const (
	streamDelay = 50 * time.Millisecond // the longest a write waits to be sent
	streamChunk = 64 << 10              // sent at once when this much is buffered
)

// outStream is the stdout or stderr stream of the kernel's cells; send
// publishes a piece of text.
type outStream struct {
	send  func(text string)
	mu    sync.Mutex
	buf   []byte
	timer *time.Timer
}

// Write buffers p and arranges for it to be sent.
func (s *outStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if len(s.buf) >= streamChunk {
		s.flushLocked(false)
	} else if s.timer == nil && len(s.buf) > 0 {
		s.timer = time.AfterFunc(streamDelay, func() { s.flush(false) })
	}
	return len(p), nil
}

// flush sends what is buffered; unless final, an incomplete UTF-8
// sequence at the end waits for its remaining bytes.
func (s *outStream) flush(final bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked(final)
}

func (s *outStream) flushLocked(final bool) {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	n := len(s.buf)
	if !final {
		n = completeUTF8(s.buf)
	}
	if n == 0 {
		return
	}
	text := string(s.buf[:n])
	s.buf = append(s.buf[:0], s.buf[n:]...)
	s.send(text)
	if len(s.buf) > 0 && s.timer == nil {
		s.timer = time.AfterFunc(streamDelay, func() { s.flush(true) })
	}
}

// completeUTF8 returns the length of b without a trailing incomplete UTF-8
// sequence.
func completeUTF8(b []byte) int {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return len(b) // ASCII: complete
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[len(b)-i:]) {
				return len(b)
			}
			return len(b) - i
		}
	}
	return len(b)
}

// newStream returns the stream name of k.
func (k *Kernel) newStream(name string) *outStream {
	return &outStream{send: func(text string) {
		k.publish("stream", k.outputParent(), map[string]any{"name": name, "text": text})
	}}
}

// flushOutput sends everything written so far: what is still in the
// capture pipes, then the streams' buffers.
func (k *Kernel) flushOutput() {
	for _, c := range k.captures {
		c.sync()
	}
	k.stdout.flush(true)
	k.stderr.flush(true)
}

// A capture redirects one of the process's standard streams into a pipe
// whose reader feeds an outStream. Pipes keep the order of everything
// written, by interpreted code, compiled code and child processes alike; a
// flush writes a unique marker into the pipe and waits until the reader
// reaches it, so all that was written before is in the outStream.
type capture struct {
	r, w   *os.File
	dst    *outStream
	marker []byte
	mu     sync.Mutex
	seen   chan struct{}
	closed chan struct{}
}

func newCapture(dst *outStream) (*capture, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	c := &capture{r: r, w: w, dst: dst, seen: make(chan struct{}, 1), closed: make(chan struct{}),
		marker: []byte("\x00gt-kernel-sync-" + hex.EncodeToString(rnd[:]) + "\x00")}
	go c.read()
	return c, nil
}

// read moves the pipe's content into the stream, spotting markers.
func (c *capture) read() {
	defer close(c.closed)
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := c.r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, c.marker)
			if i < 0 {
				break
			}
			if i > 0 {
				c.dst.Write(pending[:i])
			}
			pending = pending[i+len(c.marker):]
			select {
			case c.seen <- struct{}{}:
			default:
			}
		}
		keep := markerOverlap(pending, c.marker)
		if len(pending) > keep {
			c.dst.Write(pending[:len(pending)-keep])
			pending = append(pending[:0], pending[len(pending)-keep:]...)
		}
		if err != nil {
			if len(pending) > 0 {
				c.dst.Write(pending)
			}
			return
		}
	}
}

// markerOverlap returns the length of the longest suffix of b that is a
// proper prefix of marker (a marker possibly cut by a read).
func markerOverlap(b, marker []byte) int {
	for k := min(len(b), len(marker)-1); k > 0; k-- {
		if bytes.Equal(b[len(b)-k:], marker[:k]) {
			return k
		}
	}
	return 0
}

// sync waits until everything written to the pipe so far is in the stream.
func (c *capture) sync() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.seen: // stale
	default:
	}
	if _, err := c.w.Write(c.marker); err != nil {
		return
	}
	select {
	case <-c.seen:
	case <-c.closed:
	case <-time.After(5 * time.Second):
	}
}

// captureStdio replaces os.Stdout and os.Stderr by capture pipes; the log
// keeps the original standard error.
func (k *Kernel) captureStdio() error {
	out, err := newCapture(k.stdout)
	if err != nil {
		return err
	}
	errc, err := newCapture(k.stderr)
	if err != nil {
		out.w.Close()
		return err
	}
	k.captures = []*capture{out, errc}
	oldOut, oldErr, oldIn := os.Stdout, os.Stderr, os.Stdin
	os.Stdout, os.Stderr = out.w, errc.w
	// Code reading os.Stdin directly gets end of file, not the kernel's
	// own standard input (fmt.Scan reads the notebook: see stdin.go).
	if devnull, err := os.Open(os.DevNull); err == nil {
		os.Stdin = devnull
	}
	k.procOut, k.procErr = out.w, errc.w
	k.restoreStdio = func() {
		os.Stdout, os.Stderr, os.Stdin = oldOut, oldErr, oldIn
	}
	return nil
}

// closeStdio restores the process's standard streams.
func (k *Kernel) closeStdio() {
	if k.restoreStdio != nil {
		k.restoreStdio()
		k.restoreStdio = nil
	}
	for _, c := range k.captures {
		c.w.Close()
		select { // a background child process may still hold the pipe
		case <-c.closed:
		case <-time.After(time.Second):
		}
		c.r.Close()
	}
	k.captures = nil
}
