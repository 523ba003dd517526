// Package repl is gt's interactive engine: a Session evaluates Go source
// typed at a prompt with the yaegi interpreter, with gt's packages
// pre-imported (tl, nn, optim, data, viz, fmt, math), and decides what to
// display. The terminal front end (cmd/gtrepl) and a notebook kernel drive the
// same Session.
//
// One input may mix declarations and statements; it is split and evaluated
// in order. When the input ends with an expression statement its value is
// displayed (tensors in PyTorch's format, figures as plots, other values with
// %v); assignments and other statements display nothing. Compile errors carry
// their position in the input; panics (a *tl.Error, a nil dereference, an
// index out of range) become errors and the session keeps its variables.
// Cancelling Eval's context stops interpreted loops and tensorlib kernels
// (tl.Interrupt) and returns ErrInterrupted, again keeping every variable.
//
// Lines starting with ':' are commands (see Commands), shared with the
// notebook kernel's magics.
//
// The interpreter's view of gt's packages is generated: run
// `go generate ./repl/` after changing an exported API (a test fails while
// the committed symbols are stale).
package repl

//go:generate go run ./internal/gensymbols
