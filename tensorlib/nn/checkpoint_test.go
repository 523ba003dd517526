package nn

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Golden checkpoints from tools/golden/checkpoints.py (torch 1.13):
// testdata/model.pth is torch.save(model.state_dict()), model.safetensors
// the same state dict written from the safetensors spec, checkpoints.json
// the expected keys and values.

type ckGoldenTensor struct {
	DType  string            `json:"dtype"`
	Shape  []int             `json:"shape"`
	Values []json.RawMessage `json:"values"`
}

type ckGolden struct {
	Keys    []string                  `json:"keys"`
	Tensors map[string]ckGoldenTensor `json:"tensors"`
}

func ckLoadGolden(t *testing.T) *ckGolden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "checkpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g ckGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Keys) == 0 {
		t.Fatal("no keys in checkpoints.json")
	}
	return &g
}

// tensor builds the expected tensor.
func (g ckGoldenTensor) tensor(t *testing.T) *tl.Tensor {
	t.Helper()
	num := func(m json.RawMessage, bits int) float64 {
		str := string(m)
		var s string
		if json.Unmarshal(m, &s) == nil {
			str = s // "nan", "inf", "-inf"
		}
		v, err := strconv.ParseFloat(str, bits)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	n := len(g.Values)
	var x *tl.Tensor
	switch g.DType {
	case "float32":
		v := make([]float32, n)
		for i, m := range g.Values {
			v[i] = float32(num(m, 32))
		}
		x = tl.FromFloat32s(v)
	case "float64":
		v := make([]float64, n)
		for i, m := range g.Values {
			v[i] = num(m, 64)
		}
		x = tl.FromFloat64s(v)
	case "int64":
		v := make([]int64, n)
		for i, m := range g.Values {
			json.Unmarshal(m, &v[i])
		}
		x = tl.FromInt64s(v)
	case "bool":
		v := make([]bool, n)
		for i, m := range g.Values {
			json.Unmarshal(m, &v[i])
		}
		x = tl.FromBools(v)
	default:
		t.Fatalf("dtype %s", g.DType)
	}
	return x.Reshape(g.Shape...)
}

// ckBitsEqual compares dtype, shape and the exact bits of every element.
func ckBitsEqual(a, b *tl.Tensor) bool {
	if a.DType() != b.DType() || !reflect.DeepEqual(a.Shape(), b.Shape()) {
		return false
	}
	switch a.DType() {
	case tl.Float32:
		x, y := a.Float32s(), b.Float32s()
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				return false
			}
		}
		return true
	case tl.Float64:
		x, y := a.Float64s(), b.Float64s()
		for i := range x {
			if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
				return false
			}
		}
		return true
	case tl.Int64:
		return reflect.DeepEqual(a.Int64s(), b.Int64s())
	}
	return reflect.DeepEqual(a.Bools(), b.Bools())
}

// ckCheckGolden compares a loaded state dict with the golden one.
func ckCheckGolden(t *testing.T, g *ckGolden, sd *StateDict) {
	t.Helper()
	if !reflect.DeepEqual(sd.Keys(), g.Keys) {
		t.Fatalf("keys %q, want %q", sd.Keys(), g.Keys)
	}
	for _, k := range g.Keys {
		got, _ := sd.Get(k)
		want := g.Tensors[k].tensor(t)
		if !ckBitsEqual(got, want) {
			t.Errorf("%s: got %v %v %v, want %v %v %v", k, got.DType(), got.Shape(), got, want.DType(), want.Shape(), want)
		}
	}
}

func TestLoadGoldenCheckpoints(t *testing.T) {
	g := ckLoadGolden(t)
	for _, name := range []string{"model.pth", "model.safetensors"} {
		t.Run(name, func(t *testing.T) {
			sd, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			ckCheckGolden(t, g, sd)
		})
	}
}

// TestLoadTorchDeflated re-compresses model.pth with deflate (torch writes
// stored entries, but other zip tools may not).
func TestLoadTorchDeflated(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "model.pth"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "renamed/" + strings.SplitN(f.Name, "/", 2)[1], Method: zip.Deflate})
		w.Write(b)
	}
	zw.Close()
	sd, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	ckCheckGolden(t, ckLoadGolden(t), sd)
}

// Module types mirroring the golden model (its Conv2d and BatchNorm2d as
// plain tensors, so the test depends only on the module machinery).
type ckConv struct{ Weight, Bias *tl.Tensor }

type ckBN struct {
	Weight, Bias      *tl.Tensor
	RunningMean       *tl.Tensor `gt:",buffer"`
	RunningVar        *tl.Tensor `gt:",buffer"`
	NumBatchesTracked *tl.Tensor `gt:",buffer"`
}

type ckNet struct {
	Mask       *tl.Tensor `gt:",buffer"`
	Scale      *tl.Tensor `gt:",buffer"`
	Transposed *tl.Tensor `gt:",buffer"`
	Tail       *tl.Tensor `gt:",buffer"`
	Conv       *ckConv
	Bn         *ckBN
	Fc         *Linear
}

func newCkNet() *ckNet {
	return &ckNet{
		Mask:       tl.New(tl.Bool, 3),
		Scale:      tl.New(tl.Float64),
		Transposed: tl.Zeros(4, 3),
		Tail:       tl.Zeros(4),
		Conv:       &ckConv{Weight: tl.Zeros(2, 1, 3, 3), Bias: tl.Zeros(2)},
		Bn:         &ckBN{Weight: tl.Zeros(2), Bias: tl.Zeros(2), RunningMean: tl.Zeros(2), RunningVar: tl.Zeros(2), NumBatchesTracked: tl.New(tl.Int64)},
		Fc:         &Linear{Weight: tl.Zeros(3, 8), Bias: tl.Zeros(3)},
	}
}

// TestModuleCheckpointInterop loads torch's .pth into a gt module, saves it
// with gt and compares the bytes with the spec-written safetensors fixture,
// then loads gt's file back.
func TestModuleCheckpointInterop(t *testing.T) {
	g := ckLoadGolden(t)
	net := newCkNet()
	if err := LoadModule(filepath.Join("testdata", "model.pth"), net, true); err != nil {
		t.Fatal(err)
	}
	ckCheckGolden(t, g, StateDictOf(net))
	path := filepath.Join(t.TempDir(), "net.safetensors")
	if err := SaveModule(path, net); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want, _ := os.ReadFile(filepath.Join("testdata", "model.safetensors"))
	if !bytes.Equal(got, want) {
		t.Errorf("gt's safetensors differ from the spec fixture:\n got %q\nwant %q", got[:min(len(got), 300)], want[:min(len(want), 300)])
	}
	net2 := newCkNet()
	if err := LoadModule(path, net2, true); err != nil {
		t.Fatal(err)
	}
	ckCheckGolden(t, g, StateDictOf(net2))

	// strict catches missing and unexpected keys and leaves the module alone.
	type partial struct{ Fc *Linear }
	p := &partial{Fc: &Linear{Weight: tl.Zeros(3, 8), Bias: tl.Zeros(3)}}
	if err := LoadModule(path, p, true); err == nil || !strings.Contains(err.Error(), "Unexpected key(s)") {
		t.Errorf("strict load into a partial module: %v", err)
	}
	if p.Fc.Weight.Abs().Sum().Item() != 0 {
		t.Error("failed strict load modified the module")
	}
	if err := LoadModule(path, p, false); err != nil {
		t.Fatal(err)
	}
	if !ckBitsEqual(p.Fc.Weight, net.Fc.Weight) {
		t.Error("non-strict load did not copy fc.weight")
	}
}

// TestSaveRoundTrip checks bit-exact round trips of special values in every
// dtype, 0-dim and empty tensors, and non-contiguous tensors.
func TestSaveRoundTrip(t *testing.T) {
	nanPayload := math.Float32frombits(0x7fc00123)
	sd := NewStateDict()
	sd.Set("f32", tl.FromFloat32s([]float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), nanPayload, 1e-45, math.MaxFloat32, -1.5}, 2, 4))
	sd.Set("f64", tl.FromFloat64s([]float64{math.Float64frombits(0x7ff8000000000abc), 5e-324, -math.MaxFloat64, math.Pi}))
	sd.Set("i64", tl.FromInt64s([]int64{math.MinInt64, -1, 0, math.MaxInt64}, 2, 2))
	sd.Set("bool", tl.FromBools([]bool{true, false, true}))
	sd.Set("scalar", tl.Scalar(2.5))
	sd.Set("empty", tl.Zeros(0, 3))
	sd.Set("transposed", tl.Arange(6).Reshape(2, 3).T())
	sd.Set("name with \"quotes\" & <html> ünïcode", tl.Ones(1))
	path := filepath.Join(t.TempDir(), "rt.safetensors")
	if err := Save(path, sd); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Keys(), sd.Keys()) {
		t.Fatalf("keys %q, want %q", back.Keys(), sd.Keys())
	}
	for _, k := range sd.Keys() {
		a, _ := sd.Get(k)
		b, _ := back.Get(k)
		if !ckBitsEqual(a, b) {
			t.Errorf("%s: got %v, want %v", k, b, a)
		}
	}
	// Overwriting is atomic and leaves no temporary files.
	if err := Save(path, sd); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1", len(entries))
	}
	if err := Save(filepath.Join(t.TempDir(), "missing", "x.safetensors"), sd); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
	bad := NewStateDict()
	bad.Set("__metadata__", tl.Ones(1))
	if err := Save(filepath.Join(t.TempDir(), "bad.safetensors"), bad); err == nil {
		t.Error("a tensor named __metadata__ was saved")
	}
}

func TestReadSafetensorsMetadata(t *testing.T) {
	sd := NewStateDict()
	sd.Set("w", tl.Ones(2))
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, sd, map[string]string{"b": "2", "a": "1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String()[8:], `{"__metadata__":{"a":"1","b":"2"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`) {
		t.Errorf("header %q", buf.String()[8:])
	}
	if (buf.Len()-8)%8 != 0 {
		t.Errorf("data starts at %d, not 8-byte aligned", buf.Len()-8)
	}
	_, meta, err := ReadSafetensors(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || !reflect.DeepEqual(meta, map[string]string{"a": "1", "b": "2"}) {
		t.Errorf("metadata %v, %v", meta, err)
	}
}

// TestReadSafetensorsWidening reads dtypes gt has no exact match for.
func TestReadSafetensorsWidening(t *testing.T) {
	header := `{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},"i":{"dtype":"I32","shape":[1],"data_offsets":[10,14]},"u":{"dtype":"U8","shape":[1],"data_offsets":[14,15]},"s":{"dtype":"I8","shape":[1],"data_offsets":[15,16]}}`
	data := []byte{
		0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c, // F16 1, -2, 2^-24, +Inf
		0xc0, 0x3f, // BF16 1.5
		0xfe, 0xff, 0xff, 0xff, // I32 -2
		200, 0x80, // U8 200, I8 -128
	}
	file := ckSafetensorsBytes(header, data)
	sd, _, err := ReadSafetensors(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sd.Get("h")
	if got := h.Float32s(); !reflect.DeepEqual(got, []float32{1, -2, float32(math.Ldexp(1, -24)), float32(math.Inf(1))}) {
		t.Errorf("F16: %v", got)
	}
	b, _ := sd.Get("b")
	i, _ := sd.Get("i")
	u, _ := sd.Get("u")
	s, _ := sd.Get("s")
	if b.Item() != 1.5 || i.Item() != -2 || u.Item() != 200 || s.Item() != -128 || i.DType() != tl.Int64 {
		t.Errorf("BF16 %v I32 %v U8 %v I8 %v", b, i, u, s)
	}
}

// ckSafetensorsBytes assembles a safetensors file from a header and data.
func ckSafetensorsBytes(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	n := uint64(len(header))
	for i := 0; i < 8; i++ {
		b[i] = byte(n >> (8 * i))
	}
	return append(append(b, header...), data...)
}

// TestSaveTorch writes torch.save's format and reads it back; the entries'
// data is 64-byte aligned as torch writes it. (That torch.load reads these
// files was checked with tools/golden/checkpoints.py verify.)
func TestSaveTorch(t *testing.T) {
	g := ckLoadGolden(t)
	sd, err := Load(filepath.Join("testdata", "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	big := NewStateDict()
	big.Set("i", tl.FromInt64s([]int64{1 << 40, -1 << 40, -5, 70000}))
	big.Set("empty", tl.Zeros(0))
	for name, sd := range map[string]*StateDict{"golden": sd, "ints": big} {
		path := filepath.Join(t.TempDir(), name+".pth")
		if err := SaveTorch(path, sd); err != nil {
			t.Fatal(err)
		}
		back, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if name == "golden" {
			ckCheckGolden(t, g, back)
		}
		for _, k := range sd.Keys() {
			a, _ := sd.Get(k)
			b, _ := back.Get(k)
			if b == nil || !ckBitsEqual(a, b) {
				t.Errorf("%s/%s: got %v, want %v", name, k, b, a)
			}
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if off, _ := f.DataOffset(); off%64 != 0 {
				t.Errorf("%s: data at %d, not 64-byte aligned", f.Name, off)
			}
		}
		zr.Close()
	}
}
