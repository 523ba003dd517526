package kernel

import (
	"encoding/json"
	"errors"
	"io"
	"sync"
	"unicode/utf8"
)

// Input requests: code that reads standard input through the interpreter
// (fmt.Scan, fmt.Scanln, fmt.Scanf) and the :step sub-prompt ask the front
// end for a line with input_request on the stdin channel, when the
// execute_request allowed it (allow_stdin). Otherwise reads see end of
// file. os.Stdin itself is not connected (a read cannot announce itself).

// errNoStdin is returned when the front end does not accept input requests.
var errNoStdin = errors.New("this front end does not accept input (allow_stdin is false)")

// requestInput asks the front end of the running cell for one line.
func (k *Kernel) requestInput(prompt string, password bool) (string, error) {
	run := k.currentRun()
	if run == nil || !run.allowStdin {
		return "", errNoStdin
	}
	k.flushOutput()
	for {
		select { // drop replies nobody waited for
		case <-k.stdinQ:
			continue
		default:
		}
		break
	}
	k.sendTo(k.stdin, &k.stdinMu, run.identities, run.parent, "input_request",
		map[string]any{"prompt": prompt, "password": password})
	select {
	case m := <-k.stdinQ:
		var c struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(m.content, &c); err != nil {
			return "", err
		}
		return c.Value, nil
	case <-run.ctx.Done():
		return "", run.ctx.Err()
	case <-k.done:
		return "", io.EOF
	}
}

// readLine serves the session's sub-prompts.
func (k *Kernel) readLine(prompt string) (string, error) { return k.requestInput(prompt, false) }

// stdinReader is the session's standard input: each line is requested
// from the front end when the previous one is used up. It is an
// io.RuneScanner, so fmt's scanning functions consume no more than they
// use.
type stdinReader struct {
	k    *Kernel
	mu   sync.Mutex
	buf  []byte
	last int // size of the last rune read, for UnreadRune; -1 when none
	done []byte
}

// fill requests a line when the buffer is empty.
func (r *stdinReader) fill() error {
	if len(r.buf) > 0 {
		return nil
	}
	line, err := r.k.requestInput("", false)
	if err != nil {
		return io.EOF
	}
	r.buf = []byte(line + "\n")
	r.done = r.done[:0]
	return nil
}

// Read reads from the current line, requesting one when needed.
func (r *stdinReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.buf)
	r.done = append(r.done, r.buf[:n]...)
	r.buf = r.buf[n:]
	r.last = -1
	return n, nil
}

// ReadRune reads one rune.
func (r *stdinReader) ReadRune() (rune, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.fill(); err != nil {
		return 0, 0, err
	}
	c, size := utf8.DecodeRune(r.buf)
	r.done = append(r.done, r.buf[:size]...)
	r.buf = r.buf[size:]
	r.last = size
	return c, size, nil
}

// UnreadRune puts back the last rune read.
func (r *stdinReader) UnreadRune() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last <= 0 || len(r.done) < r.last {
		return errors.New("kernel: UnreadRune without ReadRune")
	}
	n := len(r.done) - r.last
	r.buf = append(append([]byte{}, r.done[n:]...), r.buf...)
	r.done = r.done[:n]
	r.last = -1
	return nil
}
