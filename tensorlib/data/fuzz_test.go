package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Run briefly with
//
//	go test -run '^$' -fuzz '^FuzzReadIDX$' -fuzztime 10s ./tensorlib/data
//	go test -run '^$' -fuzz '^FuzzReadCSV$' -fuzztime 10s ./tensorlib/data
//
// Seeds: the f.Add calls below, every file under testdata/idx and
// testdata/mnist, and the corpus in testdata/fuzz.

func FuzzReadIDX(f *testing.F) {
	for _, dir := range []string{"idx", "mnist"} {
		entries, _ := os.ReadDir(filepath.Join("testdata", dir))
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join("testdata", dir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add(idxHeader(idxDouble, 0xffffffff, 0xffffffff))
	f.Add(append(idxHeader(idxInt, 1<<14, 1<<14), 1, 2, 3))
	f.Add(gz(append(idxHeader(idxFloat, 1), 0x3f, 0x80, 0, 0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			return
		}
		if n := x.Numel() * x.DType().ItemSize(); n > MaxIDXBytes*2 {
			t.Fatalf("tensor of %d bytes", n)
		}
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			// Uncompressed: the elements must have come from the input.
			if x.Numel() > len(b) {
				t.Fatalf("%d elements from %d bytes", x.Numel(), len(b))
			}
		}
	})
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n3.5,-4e2\n",
		"1,2\n3,4\n",
		"id,name,score\n1,ann,0.5\n",
		"\"a\",\"b\"\n\"1\",2\n",
		"a,b\n1,\"2\n",
		"x;y\r\n1;nan\r\n",
		"",
	} {
		f.Add([]byte(s), false, false)
	}
	f.Add([]byte("a,b\n1,\nNA,3\n"), true, true)
	f.Fuzz(func(t *testing.T, b []byte, missing, f64 bool) {
		x, names, err := ReadCSV(bytes.NewReader(b), CSVOptions{MissingAsNaN: missing, Float64: f64})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "data: ReadCSV: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if x.Dim() != 2 {
			t.Fatalf("shape %v", x.Shape())
		}
		if names != nil && len(names) != x.Size(1) {
			t.Fatalf("%d names for %d columns", len(names), x.Size(1))
		}
		if x.Numel() > 2*len(b)+1 { // a field per separator, plus one per row
			t.Fatalf("%d values from %d bytes", x.Numel(), len(b))
		}
	})
}
