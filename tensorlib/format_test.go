package tensorlib

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// jsonValue decodes golden numbers, including "nan", "inf" and "-inf".
type jsonValue float64

func (v *jsonValue) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"nan"`:
		*v = jsonValue(math.NaN())
	case `"inf"`:
		*v = jsonValue(math.Inf(1))
	case `"-inf"`:
		*v = jsonValue(math.Inf(-1))
	case "true":
		*v = 1
	case "false":
		*v = 0
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*v = jsonValue(f)
	}
	return nil
}

// goldenTensor builds a tensor from a golden file's dtype, shape and values.
func goldenTensor(t *testing.T, dtype string, shape []int, values []jsonValue) *Tensor {
	t.Helper()
	f := make([]float64, len(values))
	for i, v := range values {
		f[i] = float64(v)
	}
	x := FromFloat64s(f, shape...)
	if len(shape) == 0 {
		x = FromFloat64s(f).Reshape()
	}
	switch dtype {
	case "float32":
		return x.To(Float32)
	case "float64":
		return x
	case "int64":
		return x.To(Int64)
	case "bool":
		return x.To(Bool)
	}
	t.Fatalf("unknown dtype %q", dtype)
	return nil
}

func TestStringMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/printing.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			Name         string
			DType        string
			Shape        []int
			Values       []jsonValue
			RequiresGrad bool `json:"requires_grad"`
			Op           *string
			Repr         string
		}
	}
	if err := json.Unmarshal(raw, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 40 {
		t.Fatalf("only %d printing cases in the golden file", len(golden.Cases))
	}
	for _, c := range golden.Cases {
		t.Run(c.Name, func(t *testing.T) {
			x := goldenTensor(t, c.DType, c.Shape, c.Values)
			if c.RequiresGrad {
				x.SetRequiresGrad(true)
				if c.Op != nil && *c.Op == "mul1" {
					x = x.MulScalar(1)
				}
			}
			if got := x.String(); got != c.Repr {
				t.Errorf("String() mismatch\n got: %s\nwant: %s", got, c.Repr)
			}
		})
	}
}
