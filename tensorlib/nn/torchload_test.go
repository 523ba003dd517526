package nn

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Pickle builders for hand-made (mostly hostile) checkpoints.

func ckUni(s string) []byte {
	return append(binary.LittleEndian.AppendUint32([]byte{'X'}, uint32(len(s))), s...)
}

func ckInt(n int64) []byte {
	b := binary.LittleEndian.AppendUint64([]byte{0x8a, 8}, uint64(n)) // LONG1, 8 bytes
	return b
}

func ckGlobal(module, name string) []byte { return []byte("c" + module + "\n" + name + "\n") }

func ckTuple(items ...[]byte) []byte {
	b := []byte{'('}
	for _, it := range items {
		b = append(b, it...)
	}
	return append(b, 't')
}

func ckInts(v ...int64) []byte {
	items := make([][]byte, len(v))
	for i, x := range v {
		items[i] = ckInt(x)
	}
	return ckTuple(items...)
}

// ckTensor is the pickle of _rebuild_tensor_v2 on storage key.
func ckTensor(class, key string, numel, offset int64, size, stride []int64) []byte {
	var b []byte
	b = append(b, ckGlobal("torch._utils", "_rebuild_tensor_v2")...)
	pid := ckTuple(ckUni("storage"), ckGlobal("torch", class), ckUni(key), ckUni("cpu"), ckInt(numel))
	args := ckTuple(append(pid, 'Q'), ckInt(offset), ckInts(size...), ckInts(stride...), []byte{0x89},
		append(ckGlobal("collections", "OrderedDict"), ')', 'R'))
	b = append(b, args...)
	return append(b, 'R')
}

// ckDict is the pickle of OrderedDict(name_i: value_i) ending with STOP.
func ckDict(kv ...[]byte) []byte {
	b := []byte{0x80, 2}
	b = append(b, ckGlobal("collections", "OrderedDict")...)
	b = append(b, ')', 'R', '(')
	for _, x := range kv {
		b = append(b, x...)
	}
	return append(b, 'u', '.')
}

// ckEntry is one zip entry; declared overrides the uncompressed size
// written in the headers (a lie, for zip-bomb tests) when non-zero.
type ckEntry struct {
	name     string
	data     []byte
	deflate  bool
	declared uint64
}

func ckZip(t testing.TB, entries ...ckEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(e.data), UncompressedSize64: uint64(len(e.data))}
		payload := e.data
		if e.deflate {
			var c bytes.Buffer
			fw, _ := flate.NewWriter(&c, flate.BestCompression)
			fw.Write(e.data)
			fw.Close()
			payload = c.Bytes()
			h.Method = zip.Deflate
		}
		h.CompressedSize64 = uint64(len(payload))
		if e.declared != 0 {
			h.UncompressedSize64 = e.declared
			if !e.deflate {
				h.CompressedSize64 = e.declared
			}
		}
		w, err := zw.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(payload)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ckArchive wraps a pickle and storages into a torch-style zip.
func ckArchive(t testing.TB, pkl []byte, storages ...[]byte) []byte {
	entries := []ckEntry{{name: "archive/data.pkl", data: pkl}}
	for i, s := range storages {
		entries = append(entries, ckEntry{name: "archive/data/" + string(rune('0'+i)), data: s})
	}
	entries = append(entries, ckEntry{name: "archive/version", data: []byte("3\n")})
	return ckZip(t, entries...)
}

func ckRead(b []byte) error {
	_, err := ReadCheckpoint(bytes.NewReader(b), int64(len(b)))
	return err
}

// TestReadTorchCrafted checks a valid hand-made archive, then variations.
func TestReadTorchCrafted(t *testing.T) {
	f32 := make([]byte, 4*6)
	for i := range 6 {
		binary.LittleEndian.PutUint32(f32[4*i:], uint32(0x3f800000+i)) // 1, 1+ulp, …
	}
	good := ckArchive(t, ckDict(ckUni("w"), ckTensor("FloatStorage", "0", 6, 0, []int64{2, 3}, []int64{3, 1})), f32)
	sd, err := ReadCheckpoint(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := sd.Get("w"); !ok || w.Size(0) != 2 || w.Float32s()[5] != math.Float32frombits(0x3f800005) {
		t.Fatalf("crafted archive: %v", sd)
	}
	// A nested checkpoint dict is flattened; non-tensor values are skipped.
	inner := append(append(ckGlobal("collections", "OrderedDict"), ')', 'R', '('), ckUni("w")...)
	inner = append(inner, ckTensor("FloatStorage", "0", 6, 1, []int64{5}, []int64{1})...)
	inner = append(inner, 'u')
	nestedPkl := ckDict(ckUni("epoch"), ckInt(3), ckUni("lr"), append([]byte{'G'}, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a), ckUni("model"), inner)
	if sd, err = ReadCheckpoint(bytes.NewReader(ckArchive(t, nestedPkl, f32)), int64(len(ckArchive(t, nestedPkl, f32)))); err != nil {
		t.Fatal(err)
	}
	if keys := sd.Keys(); len(keys) != 1 || keys[0] != "model.w" {
		t.Errorf("nested keys %q", keys)
	}
}

func TestReadTorchHostile(t *testing.T) {
	f32 := make([]byte, 24)
	tensor := func(numel, offset int64, size, stride []int64) []byte {
		return ckDict(ckUni("w"), ckTensor("FloatStorage", "0", numel, offset, size, stride))
	}
	// d = {}; d["a"] = d
	selfRef := append(append([]byte{0x80, 2, '}', 'q', 0}, ckUni("a")...), 'h', 0, 's', '.')
	// 101 dicts, each the value of the one before.
	deep := []byte{0x80, 2}
	for i := 0; i < 100; i++ {
		deep = append(append(deep, '}'), ckUni("k")...)
	}
	deep = append(deep, '}')
	for i := 0; i < 100; i++ {
		deep = append(deep, 's')
	}
	deep = append(deep, '.')
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"os.system", ckArchive(t, append(append([]byte{0x80, 2}, ckGlobal("os", "system")...), append(ckTuple(ckUni("echo gt-pwned")), 'R', '.')...)), "refusing to load global os.system"},
		{"builtins.eval via STACK_GLOBAL", ckArchive(t, append(append([]byte{0x80, 4}, ckUni("builtins")...), append(ckUni("eval"), 0x93, '.')...)), "builtins.eval"},
		{"NEWOBJ", ckArchive(t, []byte{0x80, 2, ')', ')', 0x81, '.'}), "refusing opcode 0x81"},
		{"INST", ckArchive(t, []byte("(ios\nsystem\n.")), "refusing opcode"},
		{"REDUCE on a storage class", ckArchive(t, append(ckGlobal("torch", "FloatStorage"), ')', 'R', '.')), "refusing to call torch.FloatStorage"},
		{"BUILD on a tensor", ckArchive(t, append(append([]byte{0x80, 2}, ckTensor("FloatStorage", "0", 6, 0, []int64{6}, []int64{1})...), '}', 'b', '.'), f32), "refusing BUILD"},
		{"not a dict", ckArchive(t, []byte{0x80, 2, ']', '.'}), "not a state dict"},
		{"no STOP", ckArchive(t, []byte{0x80, 2, '}'}), "without STOP"},
		{"empty pickle", ckArchive(t, nil), "without STOP"},
		{"stack underflow", ckArchive(t, []byte{0x80, 2, 's', '.'}), "underflow"},
		{"unknown opcode", ckArchive(t, []byte{0x80, 2, 0xff}), "unknown opcode"},
		{"huge string length", ckArchive(t, []byte{0x80, 2, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', '.'}), "runs past the end"},
		{"huge int", ckArchive(t, []byte{0x80, 2, 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, '.'}), "too large"},
		{"memo miss", ckArchive(t, []byte{0x80, 2, 'h', 7, '.'}), "memo index 7"},
		{"self-referencing dict", ckArchive(t, selfRef), "nested in itself"},
		{"deep nesting", ckArchive(t, deep), "too deeply"},
		{"unhashable key", ckArchive(t, []byte{0x80, 2, '}', ']', 'N', 's', '.'}), "dict key"},
		{"storage size mismatch", ckArchive(t, tensor(7, 0, []int64{7}, []int64{1}), f32), "expected 28"},
		{"view past the storage", ckArchive(t, tensor(6, 2, []int64{2, 3}, []int64{3, 1}), f32), "reaches element 7"},
		{"negative stride", ckArchive(t, tensor(6, 5, []int64{6}, []int64{-1}), f32), "bad size"},
		{"size/stride rank mismatch", ckArchive(t, tensor(6, 0, []int64{6}, []int64{1, 1}), f32), "malformed"},
		{"overflowing size", ckArchive(t, tensor(6, 0, []int64{1 << 40, 1 << 40}, []int64{0, 0}), f32), "overflows"},
		{"expanded past the budget", ckArchive(t, tensor(6, 0, []int64{1 << 40}, []int64{0}), f32), "budget"},
		{"missing storage", ckArchive(t, tensor(6, 0, []int64{6}, []int64{1})), "no data/0 entry"},
		{"storage of unknown class", ckArchive(t, ckDict(ckUni("w"), ckTensor("ComplexFloatStorage", "0", 6, 0, []int64{6}, []int64{1})), f32), "unsupported storage type torch.ComplexFloatStorage"},
		{"data.pkl declared huge", ckZip(t, ckEntry{name: "archive/data.pkl", data: []byte{0x80, 2, '}', '.'}, declared: 1 << 40}), "over the"},
		{"deflate ratio", ckZip(t,
			ckEntry{name: "archive/data.pkl", data: ckDict(ckUni("w"), ckTensor("ByteStorage", "0", 1<<36, 0, []int64{1}, []int64{1}))},
			ckEntry{name: "archive/data/0", data: make([]byte, 100), deflate: true, declared: 1 << 36}), "zip bomb"},
		{"more data than declared", ckZip(t,
			ckEntry{name: "archive/data.pkl", data: ckDict(ckUni("w"), ckTensor("ByteStorage", "0", 10, 0, []int64{1}, []int64{1}))},
			ckEntry{name: "archive/data/0", data: make([]byte, 5000), deflate: true, declared: 10}), "data/0"},
		{"stored size lie", ckZip(t,
			ckEntry{name: "archive/data.pkl", data: ckDict(ckUni("w"), ckTensor("ByteStorage", "0", 1<<30, 0, []int64{1}, []int64{1}))},
			ckEntry{name: "archive/data/0", data: make([]byte, 10), declared: 1 << 30}), "do not fit"},
		{"big-endian archive", ckZip(t, ckEntry{name: "a/data.pkl", data: []byte{0x80, 2, '}', '.'}}, ckEntry{name: "a/byteorder", data: []byte("big")}), "byteorder"},
		{"no data.pkl", ckZip(t, ckEntry{name: "a/other", data: []byte("x")}), "no <archive>/data.pkl"},
		{"not a zip", append([]byte("PK\x03\x04"), make([]byte, 40)...), "not a zip"},
		{"unknown format", []byte("hello world, not a checkpoint"), "unrecognised"},
		{"empty file", nil, "unrecognised"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			err := ckRead(c.file)
			runtime.ReadMemStats(&ms1)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 32<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
		})
	}
}

// TestLoadHostileFixtures loads the files tools/golden/checkpoints.py made
// with torch itself.
func TestLoadHostileFixtures(t *testing.T) {
	os.Remove("/tmp/gt-pwned")
	cases := map[string]string{
		"os_system.pth":    "refusing to load global posix.system",
		"eval.pth":         "refusing to load global __builtin__.eval",
		"whole_module.pth": "save model.state_dict() instead",
		"legacy.pth":       "legacy (non-zip) torch.save format is not supported",
		"torchscript.pt":   "TorchScript archives (torch.jit.save) are not supported",
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(filepath.Join("testdata", "hostile", name))
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want one containing %q", err, want)
			}
		})
	}
	if _, err := os.Stat("/tmp/gt-pwned"); err == nil {
		t.Fatal("a hostile checkpoint ran code")
	}
}

// TestLoadTruncated loads every prefix of the golden files: each must fail
// cleanly (a prefix of a zip lacks its central directory; of a safetensors
// file, part of its buffer).
func TestLoadTruncated(t *testing.T) {
	for _, name := range []string{"model.pth", "model.safetensors"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			if err := ckRead(b[:n]); err == nil {
				t.Fatalf("%s truncated to %d bytes loaded", name, n)
			}
		}
	}
}

// FuzzLoadTorch feeds arbitrary checkpoints to ReadCheckpoint. Inputs that
// start with "PK" are whole files; others are used as data.pkl inside an
// archive holding model.pth's storages, so the fuzzer explores the pickle
// machine directly. Run briefly with
//
//	go test -run '^$' -fuzz '^FuzzLoadTorch$' -fuzztime 10s ./tensorlib/nn
func FuzzLoadTorch(f *testing.F) {
	model, err := os.ReadFile(filepath.Join("testdata", "model.pth"))
	if err != nil {
		f.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(model), int64(len(model)))
	if err != nil {
		f.Fatal(err)
	}
	var storages []ckEntry
	for _, zf := range zr.File {
		name := strings.SplitN(zf.Name, "/", 2)[1]
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if name == "data.pkl" {
			f.Add(b) // the real pickle
			continue
		}
		storages = append(storages, ckEntry{name: "archive/" + name, data: b})
	}
	f.Add(model)
	entries, _ := os.ReadDir(filepath.Join("testdata", "hostile"))
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata", "hostile", e.Name())); err == nil {
			f.Add(b)
		}
	}
	f.Add(ckDict(ckUni("w"), ckTensor("FloatStorage", "0", 6, 0, []int64{2, 3}, []int64{1, 2})))
	f.Fuzz(func(t *testing.T, b []byte) {
		file := b
		if !bytes.HasPrefix(b, []byte("PK")) {
			file = ckZip(t, append([]ckEntry{{name: "archive/data.pkl", data: b}}, storages...)...)
		}
		sd, err := ReadCheckpoint(bytes.NewReader(file), int64(len(file)))
		if err != nil {
			return
		}
		total := 0
		for _, k := range sd.Keys() {
			x, _ := sd.Get(k)
			total += x.Numel()
		}
		if total > 4*len(file)+16<<20 {
			t.Fatalf("%d elements from a %d byte file", total, len(file))
		}
	})
}
