//go:build unix

package kernel

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs cmd in its own process group, killed as a whole
// when the cell is interrupted.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
