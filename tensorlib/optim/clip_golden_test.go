package optim

import (
	"encoding/json"
	"math"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// clipCase is one gradient-clipping call of optim.json.
type clipCase struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	MaxNorm   float64           `json:"max_norm"`
	NormType  json.RawMessage   `json:"norm_type"`
	Clip      float64           `json:"clip"`
	DType     string            `json:"dtype"`
	Grads     []json.RawMessage `json:"grads"`
	Clipped   []json.RawMessage `json:"clipped"`
	TotalNorm json.RawMessage   `json:"total_norm"`
	Norms     []json.RawMessage `json:"norms"`
}

func goldenFloat(t *testing.T, raw json.RawMessage) float64 {
	t.Helper()
	v, err := decodeHyperJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v.(float64)
}

// TestClipGolden compares ClipGradNorm's total norm and clipped gradients,
// and ClipGradValue's, with PyTorch's, bit for bit.
func TestClipGolden(t *testing.T) {
	for _, c := range loadGolden(t).Clip {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			var params []*tl.Tensor
			for _, raw := range c.Grads {
				g := goldenTensor(t, raw)
				var p *tl.Tensor
				if g == nil {
					p = tl.Zeros(1).SetRequiresGrad(true)
				} else {
					p = tl.ZerosLike(g).SetRequiresGrad(true)
					p.SetGrad(g)
				}
				params = append(params, p)
			}
			if c.Kind == "norm" {
				p := goldenFloat(t, c.NormType)
				for i, raw := range c.Norms {
					g := params[i].Grad()
					if g == nil {
						continue
					}
					want := goldenFloat(t, raw)
					var got float64
					if c.DType == "float32" {
						got, want = float64(normFloat32(g.Float32s(), p)), float64(float32(want))
					} else {
						got = normFloat64(g.Float64s(), p)
					}
					if got != want {
						t.Errorf("norm of grad %d (%d values): %.9g, want %.9g", i, g.Numel(), got, want)
					}
				}
				total := ClipGradNorm(params, c.MaxNorm, goldenFloat(t, c.NormType))
				want := goldenFloat(t, c.TotalNorm)
				if c.DType == "float32" {
					want = float64(float32(want))
				}
				if total != want && !(math.IsNaN(total) && math.IsNaN(want)) {
					t.Fatalf("total norm %.17g, want %.17g", total, want)
				}
			} else {
				ClipGradValue(params, c.Clip)
			}
			for i, raw := range c.Clipped {
				if msg, _ := compareTensors(params[i].Grad(), goldenTensor(t, raw), 0, 0); msg != "" {
					t.Fatalf("grad %d: %s", i, msg)
				}
			}
		})
	}
}
