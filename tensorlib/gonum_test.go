package tensorlib_test

import (
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
	"gonum.org/v1/gonum/mat"
)

func TestDenseRoundTrip(t *testing.T) {
	x := tl.Arange(6).Reshape(2, 3).To(tl.Float32).Transpose(0, 1) // non-contiguous 3×2
	d := x.ToDense()
	if r, c := d.Dims(); r != 3 || c != 2 {
		t.Fatalf("dims %d×%d, want 3×2", r, c)
	}
	if d.At(2, 1) != 5 || d.At(1, 0) != 1 {
		t.Fatalf("wrong values: %v", mat.Formatted(d))
	}
	back := tl.FromDense(d)
	if back.DType() != tl.Float64 || !equalInts(back.Shape(), []int{3, 2}) {
		t.Fatalf("FromDense gave %v %v", back.DType(), back.Shape())
	}
	want := x.Float64s()
	for i, v := range back.Float64s() {
		if v != want[i] {
			t.Fatalf("element %d: %v, want %v", i, v, want[i])
		}
	}
	col := tl.FromFloat32s([]float32{1, 2, 3}).ToDense()
	if r, c := col.Dims(); r != 3 || c != 1 {
		t.Fatalf("1-D tensor gave %d×%d, want a 3×1 column", r, c)
	}
	if err := tl.Catch(func() { tl.Zeros(2, 2, 2).ToDense() }); err == nil {
		t.Fatal("3-D ToDense did not fail")
	}
}

func equalInts(a, b []int) bool {
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
