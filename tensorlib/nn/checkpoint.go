package nn

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// Checkpoints: Save writes safetensors; Load reads safetensors or PyTorch's
// torch.save zip format, whichever the file is.

// Save writes sd to path in the safetensors format (with metadata
// {"format": "pt"}, as PyTorch-side tools expect), atomically: the data goes
// to a temporary file in the same directory, is synced, and is renamed over
// path, so a crash leaves either the old file or the new one.
func Save(path string, sd *StateDict) error {
	err := ckptWriteAtomic(path, func(w io.Writer) error {
		return WriteSafetensors(w, sd, map[string]string{"format": "pt"})
	})
	if err != nil {
		return fmt.Errorf("nn: Save: %w", err)
	}
	return nil
}

// SaveModule saves m's state dict (StateDictOf(m)) to path with Save.
func SaveModule(path string, m any) error { return Save(path, StateDictOf(m)) }

// Load reads a state dict from path, detecting the format: safetensors, or
// a PyTorch checkpoint written by torch.save(model.state_dict(), path) (see
// ReadTorch). Hostile or corrupt files give errors, never panics, and memory
// is bounded by what the file can honestly hold.
func Load(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("nn: Load: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("nn: Load: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("nn: Load: %s is not a regular file", path)
	}
	sd, err := ReadCheckpoint(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return sd, nil
}

// ReadCheckpoint reads a safetensors or torch.save checkpoint of size bytes
// from r; see Load.
func ReadCheckpoint(r io.ReaderAt, size int64) (*StateDict, error) {
	var head [9]byte
	n, _ := r.ReadAt(head[:], 0)
	switch {
	case n >= 4 && string(head[:2]) == "PK":
		return ReadTorch(r, size)
	case n >= 1 && head[0] == 0x80:
		return ReadTorch(r, size) // reports the legacy format
	case n == 9 && head[8] == '{':
		sd, _, err := ReadSafetensors(r, size)
		return sd, err
	}
	return nil, errors.New("nn: unrecognised checkpoint format (expected safetensors or a torch.save zip archive)")
}

// LoadModule loads the checkpoint at path into m's parameters and buffers
// (Load, then LoadStateDict with strict). Nothing is modified on error.
func LoadModule(path string, m any, strict bool) error {
	sd, err := Load(path)
	if err != nil {
		return err
	}
	return LoadStateDict(m, sd, strict)
}

// ckptWriteAtomic writes path through a temporary file in the same directory:
// write, fsync, rename, then fsync the directory so the rename is durable.
func ckptWriteAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return ckptSyncDir(dir)
}

// ckptSyncDir makes a rename in dir durable (a no-op where directories cannot
// be synced).
func ckptSyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
