//go:build unix

package kernel

import (
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
	"golang.org/x/sys/unix"
)

// GoNB runs each cell as a program that sends displays (gob-encoded
// protocol.DisplayData) through the named pipe GONB_PIPE and reads
// acknowledgements of gonbui.Sync from GONB_PIPE_BACK. The kernel plays
// GoNB's part for its own process: it creates the two pipes, points the
// environment at them and marks gonbui as running in a notebook, so
// viz.Display, viz.NewLiveLoss (updated in place by display id) and every
// gonbui call produce Jupyter messages, with no change to package viz.
// The bridge is per process: it delivers each display to the kernel that
// is running a cell, else to the one attached last.

var bridge struct {
	once    sync.Once
	err     error
	mu      sync.Mutex
	kernels []*Kernel
}

// attachDisplay starts the bridge (once) and routes displays to k.
func attachDisplay(k *Kernel) error {
	bridge.once.Do(startBridge)
	bridge.mu.Lock()
	bridge.kernels = append(bridge.kernels, k)
	bridge.mu.Unlock()
	return bridge.err
}

// detachDisplay stops routing displays to k.
func detachDisplay(k *Kernel) {
	bridge.mu.Lock()
	defer bridge.mu.Unlock()
	for i, x := range bridge.kernels {
		if x == k {
			bridge.kernels = append(bridge.kernels[:i], bridge.kernels[i+1:]...)
			return
		}
	}
}

// displayTarget picks the kernel a display belongs to.
func displayTarget() *Kernel {
	bridge.mu.Lock()
	defer bridge.mu.Unlock()
	for _, k := range bridge.kernels {
		if k.currentRun() != nil {
			return k
		}
	}
	if n := len(bridge.kernels); n > 0 {
		return bridge.kernels[n-1]
	}
	return nil
}

func startBridge() {
	dir, err := os.MkdirTemp("", "gt-kernel-")
	if err != nil {
		bridge.err = err
		return
	}
	out, back := filepath.Join(dir, "display"), filepath.Join(dir, "sync")
	for _, p := range []string{out, back} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			bridge.err = fmt.Errorf("mkfifo: %w", err)
			os.RemoveAll(dir)
			return
		}
	}
	os.Setenv(protocol.GONB_PIPE_ENV, out)
	os.Setenv(protocol.GONB_PIPE_BACK_ENV, back)
	gonbui.IsNotebook = true
	opened := make(chan struct{})
	go serveBridge(out, back, opened)
	// Open gonbui's ends now (opening a FIFO waits for the other end), so
	// that the files can be removed: open pipes work without them.
	if err := gonbui.Open(); err != nil {
		bridge.err = err
		gonbui.IsNotebook = false
	}
	<-opened
	os.RemoveAll(dir)
}

// serveBridge reads displays and answers sync requests.
func serveBridge(out, back string, opened chan struct{}) {
	r, err := os.OpenFile(out, os.O_RDONLY, 0)
	if err != nil {
		close(opened)
		logf("display bridge: %v", err)
		return
	}
	w, err := os.OpenFile(back, os.O_WRONLY, 0)
	close(opened)
	if err != nil {
		logf("display bridge: %v", err)
		return
	}
	dec, enc := gob.NewDecoder(r), gob.NewEncoder(w)
	for {
		var dd protocol.DisplayData
		if err := dec.Decode(&dd); err != nil {
			logf("display bridge: %v", err)
			return
		}
		if v, ok := dd.Data[protocol.MIMECommValue]; ok {
			if cv := commValue(v); cv != nil && cv.Address == "#gonbui/sync" {
				if err := enc.Encode(&protocol.CommValue{Address: protocol.GonbuiSyncAckAddress, Value: cv.Value}); err != nil {
					logf("display bridge: %v", err)
					return
				}
			}
			continue
		}
		if k := displayTarget(); k != nil {
			func() {
				defer func() {
					if r := recover(); r != nil {
						logf("display bridge: panic: %v", r)
					}
				}()
				k.onDisplay(&dd)
			}()
		}
	}
}

func commValue(v any) *protocol.CommValue {
	switch x := v.(type) {
	case protocol.CommValue:
		return &x
	case *protocol.CommValue:
		return x
	}
	return nil
}
