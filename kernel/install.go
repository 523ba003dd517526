package kernel

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// KernelSpec is a Jupyter kernelspec (kernel.json).
type KernelSpec struct {
	Argv          []string       `json:"argv"`
	DisplayName   string         `json:"display_name"`
	Language      string         `json:"language"`
	InterruptMode string         `json:"interrupt_mode"`
	Env           map[string]any `json:"env,omitempty"`
	Metadata      map[string]any `json:"metadata"`
}

// InstallOptions say where and how to register the kernel.
type InstallOptions struct {
	// Binary is the gtrepl executable the kernelspec runs (made absolute).
	Binary string
	// DataDir is a Jupyter data directory; empty means the user's
	// (JUPYTER_DATA_DIR, else the platform's default), unless Prefix is set.
	DataDir string
	// Prefix installs into PREFIX/share/jupyter (a virtual environment or
	// /usr/local).
	Prefix string
	// Name is the kernel's name (default "gt"); DisplayName the name shown
	// in menus (default "Go tensors (gt)").
	Name, DisplayName string
}

// DefaultName and DefaultDisplayName name the registered kernel.
const (
	DefaultName        = "gt"
	DefaultDisplayName = "Go tensors (gt)"
)

// Spec returns the kernelspec that runs binary.
func Spec(binary, displayName string) KernelSpec {
	if displayName == "" {
		displayName = DefaultDisplayName
	}
	return KernelSpec{
		Argv:          []string{binary, "jupyter", "kernel", "-f", "{connection_file}"},
		DisplayName:   displayName,
		Language:      "go",
		InterruptMode: "message",
		Metadata:      map[string]any{"debugger": false},
	}
}

// UserDataDir returns the user's Jupyter data directory, as Jupyter finds
// it: JUPYTER_DATA_DIR, else ~/Library/Jupyter (macOS), %APPDATA%\jupyter
// (Windows) or $XDG_DATA_HOME/jupyter (~/.local/share/jupyter).
func UserDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	switch runtime.GOOS {
	case "darwin":
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Jupyter"), nil
	case "windows":
		if a := os.Getenv("APPDATA"); a != "" {
			return filepath.Join(a, "jupyter"), nil
		}
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "jupyter"), nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// Install writes the kernelspec into DATA_DIR/kernels/NAME and returns that
// directory.
func Install(opts InstallOptions) (string, error) {
	if opts.Binary == "" {
		return "", errors.New("kernel: no gtrepl binary to register")
	}
	bin, err := filepath.Abs(opts.Binary)
	if err != nil {
		return "", err
	}
	if strings.Contains(bin, string(filepath.Separator)+"go-build") {
		return "", fmt.Errorf("kernel: %s is a temporary build (go run): build gtrepl first (go build -o bin/ ./cmd/gtrepl) and install with that binary", bin)
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return "", fmt.Errorf("kernel: %s is not an executable", bin)
	}
	name := opts.Name
	if name == "" {
		name = DefaultName
	}
	if strings.ContainsAny(name, `/\ `) {
		return "", fmt.Errorf("kernel: bad kernel name %q", name)
	}
	data := opts.DataDir
	switch {
	case data != "":
	case opts.Prefix != "":
		data = filepath.Join(opts.Prefix, "share", "jupyter")
	default:
		if data, err = UserDataDir(); err != nil {
			return "", err
		}
	}
	dir := filepath.Join(data, "kernels", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	spec, err := json.MarshalIndent(Spec(bin, opts.DisplayName), "", " ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "kernel.json"), append(spec, '\n'), 0o644); err != nil {
		return "", err
	}
	return dir, nil
}
