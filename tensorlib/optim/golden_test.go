package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sync"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Loading testdata/optim.json, written by tools/golden/optim.py from torch
// 1.13, and comparing tensors with it.

type goldenFile struct {
	Torch      string      `json:"torch"`
	Optimizers []optCase   `json:"optimizers"`
	Schedulers []schedCase `json:"schedulers"`
	Clip       []clipCase  `json:"clip"`
}

var (
	goldenOnce sync.Once
	golden     goldenFile
	goldenErr  error
)

func loadGolden(t *testing.T) *goldenFile {
	t.Helper()
	goldenOnce.Do(func() {
		b, err := os.ReadFile("testdata/optim.json")
		if err != nil {
			goldenErr = err
			return
		}
		goldenErr = json.Unmarshal(b, &golden)
	})
	if goldenErr != nil {
		t.Fatalf("golden: %v", goldenErr)
	}
	return &golden
}

// goldenTensor decodes a tensor in the StateDict JSON layout (nil for null).
func goldenTensor(t *testing.T, raw json.RawMessage) *tl.Tensor {
	t.Helper()
	x, err := decodeTensorJSON(raw)
	if err != nil {
		t.Fatalf("golden tensor: %v", err)
	}
	return x
}

func goldenHyper(t *testing.T, raw map[string]json.RawMessage) Hyper {
	t.Helper()
	h := Hyper{}
	for k, v := range raw {
		x, err := decodeHyperJSON(v)
		if err != nil {
			t.Fatalf("golden hyper %q: %v", k, err)
		}
		if x != nil {
			h[k] = x
		}
	}
	return h
}

// closeTo reports whether got is within abs + rel·|want| of want (NaNs and
// infinities must match exactly).
func closeTo(got, want, rel, abs float64) bool {
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return math.IsNaN(got) == math.IsNaN(want) && (math.IsNaN(want) || got == want)
	}
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

// compareTensors returns a description of the first difference beyond the
// tolerance ("" when none), and the largest relative error seen.
func compareTensors(got, want *tl.Tensor, rel, abs float64) (string, float64) {
	if got == nil || want == nil {
		if got == nil && want == nil {
			return "", 0
		}
		return fmt.Sprintf("got %v, want %v", got, want), 0
	}
	if !sameShape(got.Shape(), want.Shape()) {
		return fmt.Sprintf("shape %v, want %v", got.Shape(), want.Shape()), 0
	}
	if got.DType() != want.DType() && !(got.Numel() == 1 && !want.DType().IsFloat()) {
		if got.DType().IsFloat() != want.DType().IsFloat() || got.DType() != want.DType() {
			return fmt.Sprintf("dtype %v, want %v", got.DType(), want.DType()), 0
		}
	}
	g, w := got.Float64s(), want.Float64s()
	worst := 0.0
	for i := range w {
		if d := math.Abs(g[i] - w[i]); d > 0 && w[i] != 0 {
			worst = math.Max(worst, d/math.Abs(w[i]))
		}
		if !closeTo(g[i], w[i], rel, abs) {
			return fmt.Sprintf("element %d: got %.9g, want %.9g", i, g[i], w[i]), worst
		}
	}
	return "", worst
}
