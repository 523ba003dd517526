package kernel

import (
	"encoding/json"
	"fmt"
	"os"
)

// ConnectionInfo is the content of a Jupyter connection file: where the
// kernel's sockets listen and the key that signs messages.
type ConnectionInfo struct {
	Transport       string `json:"transport"` // "tcp" or "ipc"
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	SignatureScheme string `json:"signature_scheme"` // "hmac-sha256"
	Key             string `json:"key"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// maxConnectionFile bounds the size of a connection file.
const maxConnectionFile = 1 << 20

// ReadConnectionFile reads and checks a connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	var ci ConnectionInfo
	f, err := os.Open(path)
	if err != nil {
		return ci, err
	}
	defer f.Close()
	buf := make([]byte, maxConnectionFile+1)
	n, _ := readFull(f, buf)
	if n > maxConnectionFile {
		return ci, fmt.Errorf("kernel: connection file %s is larger than %d bytes", path, maxConnectionFile)
	}
	if err := json.Unmarshal(buf[:n], &ci); err != nil {
		return ci, fmt.Errorf("kernel: connection file %s: %w", path, err)
	}
	return ci, ci.check()
}

// readFull reads until buf is full or the reader ends.
func readFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// check validates the fields the kernel relies on.
func (ci *ConnectionInfo) check() error {
	if ci.Transport == "" {
		ci.Transport = "tcp"
	}
	if ci.Transport != "tcp" && ci.Transport != "ipc" {
		return fmt.Errorf("kernel: unsupported transport %q (want tcp or ipc)", ci.Transport)
	}
	if ci.IP == "" {
		ci.IP = "127.0.0.1"
	}
	if ci.SignatureScheme == "" {
		ci.SignatureScheme = "hmac-sha256"
	}
	if ci.SignatureScheme != "hmac-sha256" {
		return fmt.Errorf("kernel: unsupported signature scheme %q (want hmac-sha256)", ci.SignatureScheme)
	}
	for _, p := range []int{ci.ShellPort, ci.ControlPort, ci.StdinPort, ci.IOPubPort, ci.HBPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("kernel: port %d out of range", p)
		}
	}
	return nil
}

// endpoint is the zmq4 address of one socket, through the kernel's bounded
// transports (see transport.go).
func (ci *ConnectionInfo) endpoint(port int) string {
	if ci.Transport == "ipc" {
		return fmt.Sprintf("%s://%s-%d", ipcTransport, ci.IP, port)
	}
	return fmt.Sprintf("%s://%s:%d", tcpTransport, ci.IP, port)
}
