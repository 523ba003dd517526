package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// idxHeader returns the header of an IDX file of the given type and shape.
func idxHeader(code byte, shape ...uint32) []byte {
	b := []byte{0, 0, code, byte(len(shape))}
	for _, d := range shape {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// opaque hides a reader's length so ReadIDX cannot check sizes up front.
type opaque struct{ r io.Reader }

func (o opaque) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadIDX(t *testing.T) {
	f32 := idxHeader(idxFloat, 2)
	f32 = binary.BigEndian.AppendUint32(f32, 0x3fc00000) // 1.5
	f32 = binary.BigEndian.AppendUint32(f32, 0xc0200000) // -2.5
	scalar := append(idxHeader(idxShort), 0xff, 0xfe)    // 0-dim short -2
	cases := []struct {
		name  string
		in    []byte
		dtype tl.DType
		shape []int
		vals  []float64
	}{
		{"ubyte", append(idxHeader(idxUByte, 2, 2), 0, 1, 254, 255), tl.Int64, []int{2, 2}, []float64{0, 1, 254, 255}},
		{"sbyte", append(idxHeader(idxByte, 3), 0x80, 0x7f, 0xff), tl.Int64, []int{3}, []float64{-128, 127, -1}},
		{"float", f32, tl.Float32, []int{2}, []float64{1.5, -2.5}},
		{"float gzip", gz(f32), tl.Float32, []int{2}, []float64{1.5, -2.5}},
		{"0-dim", scalar, tl.Int64, []int{}, []float64{-2}},
		{"empty", idxHeader(idxInt, 0, 5), tl.Int64, []int{0, 5}, []float64{}},
		{"trailing bytes ignored", append(idxHeader(idxUByte, 1), 9, 9), tl.Int64, []int{1}, []float64{9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, err := ReadIDX(bytes.NewReader(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if x.DType() != c.dtype || !reflect.DeepEqual(x.Shape(), c.shape) || !reflect.DeepEqual(x.Float64s(), c.vals) {
				t.Errorf("got %v %v %v, want %v %v %v", x.DType(), x.Shape(), x.Float64s(), c.dtype, c.shape, c.vals)
			}
		})
	}
}

func TestReadIDXHostile(t *testing.T) {
	huge := idxHeader(idxDouble, 0xffffffff, 0xffffffff, 0xffffffff)
	big := append(idxHeader(idxInt, 1<<14, 1<<14), 1, 2, 3) // declares 1 GiB, holds 3 bytes
	cases := []struct {
		name string
		in   io.Reader
		want string
	}{
		{"empty", bytes.NewReader(nil), "magic"},
		{"bad magic", bytes.NewReader([]byte{1, 0, 8, 1, 0, 0, 0, 0}), "bad magic"},
		{"unknown type", bytes.NewReader(idxHeader(0x42, 1)), "unknown element type"},
		{"truncated dims", bytes.NewReader(idxHeader(idxUByte, 5, 5)[:9]), "dimensions"},
		{"overflowing shape", bytes.NewReader(huge), "limit"},
		{"truncated, sized reader", bytes.NewReader(big), "truncated"},
		{"truncated, stream", opaque{bytes.NewReader(big)}, "truncated"},
		{"truncated, gzip", bytes.NewReader(gz(big)), "truncated"},
		{"corrupt gzip", bytes.NewReader(gz(big)[:20]), "ReadIDX"},
		{"bad gzip header", bytes.NewReader([]byte{0x1f, 0x8b, 0, 0}), "gzip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			x, err := ReadIDX(c.in)
			runtime.ReadMemStats(&ms1)
			if err == nil {
				t.Fatalf("no error, got %v", x.Shape())
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not mention %q", err, c.want)
			}
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes on a tiny input", alloc)
			}
		})
	}
}

func TestReadIDXFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.idx")
	if err := os.WriteFile(p, append(idxHeader(idxUByte, 1<<20), 1, 2), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIDXFile(p); err == nil || !strings.Contains(err.Error(), "file holds 2") {
		t.Errorf("truncated file: %v", err)
	}
	if _, err := ReadIDXFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadMNIST(dir, true); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("empty dir: %v", err)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("t10k-images-idx3-ubyte", append(idxHeader(idxUByte, 2, 1, 1), 0, 255))
	write("t10k-labels-idx1-ubyte", append(idxHeader(idxUByte, 3), 1, 2, 3))
	if _, err := LoadMNIST(dir, false); err == nil || !strings.Contains(err.Error(), "2 images but 3 labels") {
		t.Errorf("count mismatch: %v", err)
	}
	write("t10k-labels-idx1-ubyte", append(idxHeader(idxInt, 2), 0, 0, 0, 1, 0, 0, 0, 2))
	if _, err := LoadMNIST(dir, false); err == nil || !strings.Contains(err.Error(), "unsigned bytes") {
		t.Errorf("label type: %v", err)
	}
	// torchvision's layout is found too.
	raw := filepath.Join(dir, "MNIST", "raw")
	os.MkdirAll(raw, 0o755)
	os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte"))
	os.WriteFile(filepath.Join(raw, "t10k-labels-idx1-ubyte.gz"), gz(append(idxHeader(idxUByte, 2), 4, 5)), 0o644)
	ds, err := LoadMNIST(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	s := ds.Get(1)
	if s[0].Item() != 1 || s[1].Item() != 5 || !reflect.DeepEqual(s[0].Shape(), []int{1, 1, 1}) {
		t.Errorf("sample 1: %v %v", s[0], s[1])
	}
}
