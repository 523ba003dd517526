package tensorlib_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Loading and comparing the golden cases of testdata/ops.json, written by
// tools/golden/ops.py from torch 1.13.

// Tolerances for floating-point values: |got-want| <= abs + rel*|want|.
const (
	goldenRel32, goldenAbs32 = 1e-5, 1e-6
	goldenRel64, goldenAbs64 = 1e-10, 1e-12
)

// goldenScalar is one JSON value: a number, a bool, or one of the strings
// "nan", "inf", "-inf".
type goldenScalar string

func (s *goldenScalar) UnmarshalJSON(b []byte) error {
	*s = goldenScalar(strings.Trim(string(b), `"`))
	return nil
}

func (s goldenScalar) float() float64 {
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		panic(fmt.Sprintf("golden: bad float %q", s))
	}
	return v
}

func (s goldenScalar) int() int64 {
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		panic(fmt.Sprintf("golden: bad int %q", s))
	}
	return v
}

func (s goldenScalar) bool() bool {
	v, err := strconv.ParseBool(string(s))
	if err != nil {
		panic(fmt.Sprintf("golden: bad bool %q", s))
	}
	return v
}

// goldenTensor is a tensor's row-major values, shape and dtype name
// ("float32", "float64", "int64" or "bool").
type goldenTensor struct {
	Values []goldenScalar `json:"values"`
	Shape  []int          `json:"shape"`
	DType  string         `json:"dtype"`
}

type goldenInput struct {
	goldenTensor
	RequiresGrad bool         `json:"requires_grad"`
	View         []goldenStep `json:"view"`
}

// goldenStep is one view op applied to an input before the case's op.
type goldenStep struct {
	Op     string       `json:"op"`
	Params goldenParams `json:"params"`
}

type goldenOutput struct {
	goldenTensor
	GradFn *string        `json:"grad_fn"`
	W      []goldenScalar `json:"w"` // the weight of (out * w).sum() in the loss; nil when out needs no grad
}

type goldenCase struct {
	Name    string          `json:"name"`
	Op      string          `json:"op"`
	Params  goldenParams    `json:"params"`
	Inputs  []goldenInput   `json:"inputs"`
	Outputs []goldenOutput  `json:"outputs"`
	Grads   []*goldenTensor `json:"grads"`
}

// goldenParams holds every op parameter used by the table; each op reads the
// ones it needs.
type goldenParams struct {
	S        *goldenScalar `json:"s"`
	Lo       *goldenScalar `json:"lo"`
	Hi       *goldenScalar `json:"hi"`
	Value    *goldenScalar `json:"value"`
	Dim      int           `json:"dim"`
	Dim0     int           `json:"dim0"`
	Dim1     int           `json:"dim1"`
	Dims     []int         `json:"dims"`
	Keepdim  bool          `json:"keepdim"`
	Unbiased bool          `json:"unbiased"`
	Shape    []int         `json:"shape"`
	Sizes    []int         `json:"sizes"`
	Size     int           `json:"size"`
	N        int           `json:"n"`
	Start    int           `json:"start"`
	End      *int          `json:"end"` // null: open end
	Step     int           `json:"step"`
	Length   int           `json:"length"`
	Index    int           `json:"index"`
	DType    string        `json:"dtype"`
}

func (p goldenParams) scalar(name string, s *goldenScalar) float64 {
	if s == nil {
		panic("golden: missing param " + name)
	}
	return s.float()
}

// bound is a clamp bound; null means none.
func (p goldenParams) bound(s *goldenScalar, none float64) float64 {
	if s == nil {
		return none
	}
	return s.float()
}

func (p goldenParams) end() int {
	if p.End == nil {
		return tl.End
	}
	return *p.End
}

var goldenDTypes = map[string]tl.DType{"float32": tl.Float32, "float64": tl.Float64, "int64": tl.Int64, "bool": tl.Bool}

func goldenDType(name string) tl.DType {
	d, ok := goldenDTypes[name]
	if !ok {
		panic("golden: unknown dtype " + name)
	}
	return d
}

// loadGoldenCases reads testdata/ops.json, rejecting fields the Go side does
// not know so that the generator and the test cannot drift apart silently.
func loadGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/ops.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Torch string       `json:"torch"`
		Cases []goldenCase `json:"cases"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("testdata/ops.json: %v", err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("testdata/ops.json has no cases")
	}
	return file.Cases
}

// build makes a fresh contiguous tensor holding g's values.
func (g goldenTensor) build() *tl.Tensor {
	n := len(g.Values)
	shape := g.Shape
	if len(shape) == 0 {
		shape = []int{n} // made 0-dim below
	}
	var t *tl.Tensor
	switch goldenDType(g.DType) {
	case tl.Float32:
		d := make([]float32, n)
		for i, v := range g.Values {
			d[i] = float32(v.float())
		}
		t = tl.FromFloat32s(d, shape...)
	case tl.Float64:
		d := make([]float64, n)
		for i, v := range g.Values {
			d[i] = v.float()
		}
		t = tl.FromFloat64s(d, shape...)
	case tl.Int64:
		d := make([]int64, n)
		for i, v := range g.Values {
			d[i] = v.int()
		}
		t = tl.FromInt64s(d, shape...)
	case tl.Bool:
		d := make([]bool, n)
		for i, v := range g.Values {
			d[i] = v.bool()
		}
		t = tl.FromBools(d, shape...)
	}
	if len(g.Shape) == 0 {
		t = t.Reshape().Clone()
	}
	return t
}

// goldenCall runs f, turning a panic into an error.
func goldenCall(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	f()
	return nil
}

// checkGoldenTensor compares got with want: shape, dtype and values.
func checkGoldenTensor(t *testing.T, what string, got *tl.Tensor, want goldenTensor) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got nil, want %s%v", what, want.DType, want.Shape)
		return
	}
	if !goldenEqualInts(got.Shape(), want.Shape) {
		t.Errorf("%s: shape %v, torch %v", what, got.Shape(), want.Shape)
		return
	}
	if wd := goldenDType(want.DType); got.DType() != wd {
		t.Errorf("%s: dtype %v, torch %v", what, got.DType(), wd)
		return
	}
	const maxReports = 5
	bad := 0
	report := func(i int, g, w any) {
		t.Helper()
		if bad < maxReports {
			t.Errorf("%s: [%d] = %v, torch %v", what, i, g, w)
		}
		bad++
	}
	switch got.DType() {
	case tl.Float32, tl.Float64:
		rel, abs := goldenRel32, goldenAbs32
		if got.DType() == tl.Float64 && !goldenFloat32Valued(want.Values) {
			rel, abs = goldenRel64, goldenAbs64
		}
		for i, g := range got.Float64s() {
			w := want.Values[i].float()
			if !goldenClose(g, w, rel, abs) {
				report(i, g, w)
			}
		}
	case tl.Int64:
		for i, g := range got.Int64s() {
			if w := want.Values[i].int(); g != w {
				report(i, g, w)
			}
		}
	case tl.Bool:
		for i, g := range got.Bools() {
			if w := want.Values[i].bool(); g != w {
				report(i, g, w)
			}
		}
	}
	if bad > maxReports {
		t.Errorf("%s: %d of %d values differ", what, bad, len(want.Values))
	}
}

// goldenFloat32Valued reports whether every value is a float32 value. A
// float64 result made only of float32 values was computed in float32 by torch
// (say, the gradient of a float64 input to an op whose result is float32), so
// it is compared with the float32 tolerance.
func goldenFloat32Valued(vals []goldenScalar) bool {
	for _, v := range vals {
		f := v.float()
		if !math.IsNaN(f) && float64(float32(f)) != f {
			return false
		}
	}
	return true
}

// goldenClose reports whether g matches w: NaN with NaN, infinities exactly,
// finite values within abs + rel*|w|.
func goldenClose(g, w, rel, abs float64) bool {
	switch {
	case math.IsNaN(w):
		return math.IsNaN(g)
	case math.IsInf(w, 0):
		return g == w
	}
	return math.Abs(g-w) <= abs+rel*math.Abs(w)
}

func goldenEqualInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
