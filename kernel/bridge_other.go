//go:build !unix

package kernel

import "errors"

// attachDisplay is unavailable without named pipes: viz.Display prints text.
func attachDisplay(*Kernel) error { return errors.New("no named pipes on this system") }

func detachDisplay(*Kernel) {}
