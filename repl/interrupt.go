package repl

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/traefik/yaegi/interp"
)

// Interrupting an evaluation takes two signals: yaegi's context stops
// interpreted loops, and tl.Interrupt makes running tensorlib kernels panic
// with tl.ErrInterrupted. yaegi's ExecuteWithContext returns as soon as the
// context is cancelled, while its goroutine may still be running; the
// session waits for that goroutine (found by a pprof label it inherits)
// before evaluating anything else, so no two evaluations ever overlap.

// evalLabel is the pprof label key marking evaluation goroutines.
const evalLabel = "gtrepl-eval"

// stopWait bounds the wait for an interrupted evaluation to stop (a
// compiled call blocked forever cannot be stopped).
const stopWait = 10 * time.Second

var evalSeq atomic.Uint64

// execute runs prog, interrupting it when ctx is cancelled.
func (s *Session) execute(ctx context.Context, prog *interp.Program) (v reflect.Value, err error) {
	id := strconv.FormatUint(evalSeq.Add(1), 10)
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			tl.Interrupt()
		case <-stop:
		}
	}()
	pprof.Do(context.Background(), pprof.Labels(evalLabel, id), func(context.Context) {
		v, err = s.in.ExecuteWithContext(ctx, prog)
	})
	close(stop)
	<-watched
	if ctx.Err() != nil {
		if err != nil {
			waitStopped(id, stopWait)
		}
		tl.ResetInterrupt()
		if p, ok := err.(interp.Panic); ok && isInterruptValue(p.Value) {
			err = ctx.Err()
		}
	}
	return v, err
}

// waitStopped waits until no goroutine labelled with id is still running
// the interpreter, or until timeout. A goroutine profile keeps only the
// innermost frames of deep stacks, so any interpreter frame counts;
// goroutines started by interpreted go statements are relabelled (GoStart)
// and not waited for.
func waitStopped(id string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	label := fmt.Sprintf("%q:%q", evalLabel, id)
	for {
		var buf bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
		running := false
		for _, rec := range strings.Split(buf.String(), "\n\n") {
			if strings.Contains(rec, label) && strings.Contains(rec, "github.com/traefik/yaegi/interp.") {
				running = true
				break
			}
		}
		if !running {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// isInterruptValue reports whether a panic value is tensorlib's interrupt.
func isInterruptValue(v any) bool {
	e, ok := v.(*tl.Error)
	return ok && e == tl.ErrInterrupted
}

// panicMessage formats a panic value: an error's message, else %v. The
// interpreter reports some runtime errors as reflect panics; they are given
// Go's messages.
func panicMessage(v any) string {
	switch x := v.(type) {
	case runtime.Error:
		return x.Error()
	case *reflect.ValueError:
		if x.Kind == reflect.Invalid {
			return "runtime error: invalid memory address or nil pointer dereference"
		}
		return x.Error()
	case error:
		return x.Error()
	case string:
		switch x {
		case "reflect: slice index out of range", "reflect: array index out of range", "reflect: string index out of range":
			return "runtime error: index out of range"
		case "reflect: call of nil function", "reflect: call of reflect.Value.Call on zero Value":
			return "runtime error: invalid memory address or nil pointer dereference (nil func)"
		}
	}
	return fmt.Sprint(v)
}

// panicError converts a recovered panic into an *Error located at the
// outermost interpreted frame (the statement of this input).
func panicError(v any, frames []string) *Error {
	if isInterruptValue(v) {
		return &Error{Kind: Interrupted, Msg: "interrupted", Value: v}
	}
	e := &Error{Kind: PanicError, Msg: panicMessage(v), Value: v}
	if len(frames) > 0 {
		parts := strings.SplitN(frames[len(frames)-1], ":", 2)
		line, _ := strconv.Atoi(parts[0])
		col, _ := strconv.Atoi(parts[1])
		if line > 1 {
			e.Line, e.Col = line-1, col
		}
	}
	return e
}
