package nn

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// ckSparse is a huge virtual file: prefix, then zeros up to size.
type ckSparse struct {
	prefix []byte
	size   int64
}

func (s ckSparse) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < s.size {
		if i := off + int64(n); i < int64(len(s.prefix)) {
			p[n] = s.prefix[i]
		} else {
			p[n] = 0
		}
		n++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestReadSafetensorsHostile(t *testing.T) {
	entry := func(name, dtype, shape string, b, e int) string {
		return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":[` + strconv.Itoa(b) + `,` + strconv.Itoa(e) + `]}`
	}
	data8 := make([]byte, 8)
	hugeLen := binary.LittleEndian.AppendUint64(nil, 1<<62)
	cases := []struct {
		name string
		file []byte
		size int64 // 0: len(file)
		want string
	}{
		{"7 bytes", []byte("\x02\x00\x00\x00\x00\x00\x00"), 0, "too short"},
		{"header length past the file", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), 0, "exceeds the file"},
		{"header length over the limit", append(hugeLen, '{'), 0, "limit"},
		{"header of 101 MB in a huge file", append(binary.LittleEndian.AppendUint64(nil, 101<<20), '{'), 1 << 40, "limit"},
		{"not an object", ckSafetensorsBytes(`[1,2]   `, nil), 0, "does not start with"},
		{"broken JSON", ckSafetensorsBytes(`{"a":{"dtype":`, nil), 0, `tensor "a": unexpected EOF`},
		{"trailing junk", ckSafetensorsBytes(`{} x`, nil), 0, "trailing"},
		{"unknown dtype", ckSafetensorsBytes(`{`+entry("a", "C64", "[1]", 0, 8)+`}`, data8), 0, "unsupported dtype"},
		{"size mismatch", ckSafetensorsBytes(`{`+entry("a", "F32", "[3]", 0, 8)+`}`, data8), 0, "need 12 bytes"},
		{"end before begin", ckSafetensorsBytes(`{`+entry("a", "F32", "[0]", 8, 4)+`}`, data8), 0, "outside"},
		{"negative offset", ckSafetensorsBytes(`{`+entry("a", "F32", "[1]", -4, 0)+`}`, data8), 0, "outside"},
		{"past the buffer", ckSafetensorsBytes(`{`+entry("a", "F64", "[2]", 0, 16)+`}`, data8), 0, "outside"},
		{"overlap", ckSafetensorsBytes(`{`+entry("a", "F32", "[2]", 0, 8)+`,`+entry("b", "F32", "[1]", 4, 8)+`}`, data8), 0, "overlap"},
		{"hole", ckSafetensorsBytes(`{`+entry("a", "F32", "[1]", 4, 8)+`}`, data8), 0, "hole"},
		{"uncovered tail", ckSafetensorsBytes(`{`+entry("a", "F32", "[1]", 0, 4)+`}`, data8), 0, "cover 4 bytes of the 8"},
		{"duplicate name", ckSafetensorsBytes(`{`+entry("a", "F32", "[1]", 0, 4)+`,`+entry("a", "F32", "[1]", 4, 8)+`}`, data8), 0, "duplicate"},
		{"negative dim", ckSafetensorsBytes(`{`+entry("a", "F32", "[-2]", 0, 8)+`}`, data8), 0, "negative"},
		{"overflowing shape", ckSafetensorsBytes(`{`+entry("a", "F64", "[4294967296,4294967296,4294967296]", 0, 8)+`}`, data8), 0, "overflows"},
		{"fractional dim", ckSafetensorsBytes(`{`+entry("a", "F32", "[2.5]", 0, 8)+`}`, data8), 0, `tensor "a"`},
		{"missing offsets", ckSafetensorsBytes(`{"a":{"dtype":"F32","shape":[2]}}`, data8), 0, "missing"},
		{"bad metadata", ckSafetensorsBytes(`{"__metadata__":{"a":1}}`, nil), 0, "__metadata__"},
		{"three offsets", ckSafetensorsBytes(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}`, data8), 0, "[begin, end]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size := c.size
			var r io.ReaderAt = bytes.NewReader(c.file)
			if size == 0 {
				size = int64(len(c.file))
			} else {
				r = ckSparse{c.file, size}
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			_, _, err := ReadSafetensors(r, size)
			runtime.ReadMemStats(&ms1)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 8<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
		})
	}
}

// FuzzLoadSafetensors feeds arbitrary files to the safetensors reader. Run
// briefly with
//
//	go test -run '^$' -fuzz '^FuzzLoadSafetensors$' -fuzztime 10s ./tensorlib/nn
func FuzzLoadSafetensors(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "model.safetensors")); err == nil {
		f.Add(b)
	}
	f.Add(ckSafetensorsBytes(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}`, make([]byte, 8)))
	f.Add(ckSafetensorsBytes(`{"a":{"dtype":"BF16","shape":[],"data_offsets":[0,2]}}`, make([]byte, 2)))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, _, err := ReadSafetensors(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		total := 0
		for _, k := range sd.Keys() {
			x, _ := sd.Get(k)
			total += x.Numel()
		}
		if total > len(b) {
			t.Fatalf("%d elements from a %d byte file", total, len(b))
		}
	})
}
