package tensorlib

import "testing"

// TestBatchedMatMulParallel checks batched products of small matrices,
// which are spread over the threads whole, against the same products one
// at a time, with a broadcast operand and a transposed one.
func TestBatchedMatMulParallel(t *testing.T) {
	ManualSeed(3)
	a := Randn(4, 40, 24, 16)
	b := Randn(16, 24)
	bt := Randn(40, 24, 16).Transpose(-1, -2)
	for name, tc := range map[string]struct{ x, y *Tensor }{
		"broadcast b":  {a, b},
		"transposed b": {a, bt},
	} {
		got := tc.x.MatMul(tc.y)
		for i := 0; i < 4; i++ {
			for j := 0; j < 40; j++ {
				yj := tc.y
				if tc.y.Dim() == 3 {
					yj = tc.y.Select(0, j)
				}
				want := tc.x.Select(0, i).Select(0, j).MatMul(yj).Float32s()
				g := got.Select(0, i).Select(0, j).Float32s()
				for e := range want {
					if g[e] != want[e] {
						t.Fatalf("%s: product (%d, %d) element %d = %v, want %v", name, i, j, e, g[e], want[e])
					}
				}
			}
		}
	}
}
