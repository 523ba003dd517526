package tensorlib

import (
	"fmt"
	"strings"
)

// Error is the panic value of every usage error in tensorlib: mismatched
// shapes or dtypes, out-of-range dimensions or indices, misuse of autograd.
// Op names the operation; Shapes holds the operands' shapes when they matter.
type Error struct {
	Op     string  // the operation, e.g. "Add" or "Backward"
	Msg    string  // what went wrong
	Shapes [][]int // the operands' shapes, when relevant
}

// Error formats the error as "Op: message (shapes [2 3], [4])".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if len(e.Shapes) > 0 {
		b.WriteString(" (shapes ")
		for i, s := range e.Shapes {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(shapeString(s))
		}
		b.WriteString(")")
	}
	return b.String()
}

// ErrInterrupted is the panic value of a kernel stopped by Interrupt.
var ErrInterrupted = &Error{Op: "Interrupt", Msg: "computation interrupted"}

// Catch runs f and returns the *Error it panicked with, or nil. Panics with
// any other value propagate unchanged.
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// fail panics with an *Error for op.
func fail(op, format string, args ...any) {
	panic(&Error{Op: op, Msg: fmt.Sprintf(format, args...)})
}

// failShapes panics with an *Error for op listing the operands' shapes.
func failShapes(op string, shapes [][]int, format string, args ...any) {
	panic(&Error{Op: op, Msg: fmt.Sprintf(format, args...), Shapes: shapes})
}

// shapeString renders a shape as PyTorch does in messages: [2, 3].
func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
