package tensorlib

import "sync/atomic"

var interruptFlag atomic.Bool

// Interrupt asks running and future kernels to stop: each polls the flag
// between blocks of work and panics with ErrInterrupted. Call ResetInterrupt
// before computing again.
func Interrupt() { interruptFlag.Store(true) }

// ResetInterrupt clears the flag set by Interrupt.
func ResetInterrupt() { interruptFlag.Store(false) }

// Interrupted reports whether Interrupt has been called since the last
// ResetInterrupt.
func Interrupted() bool { return interruptFlag.Load() }

// checkInterrupt panics with ErrInterrupted when the flag is set. Kernels call
// it once per block of work, never per element.
func checkInterrupt() {
	if interruptFlag.Load() {
		panic(ErrInterrupted)
	}
}
