//go:build !unix

package kernel

import "os/exec"

// setProcessGroup does nothing here: an interrupt kills the command only.
func setProcessGroup(*exec.Cmd) {}
