package tensorlib

import "testing"

// TestCopyInPlaceLarge checks large copies, which are split across
// threads between contiguous layouts: into an offset view, from a
// transposed source, and within one storage, where source and destination
// overlap and the copy keeps memmove's meaning.
func TestCopyInPlaceLarge(t *testing.T) {
	const n = 300_000
	src := Arange(0, n).To(Float32)
	want := src.Float32s()

	dst := Zeros(n + 7)
	dst.Slice(0, 7, n+7, 1).CopyInPlace(src)
	got := dst.Float32s()
	for i := 0; i < 7; i++ {
		if got[i] != 0 {
			t.Fatalf("element %d before the view = %v, want 0", i, got[i])
		}
	}
	for i, v := range want {
		if got[i+7] != v {
			t.Fatalf("offset view: element %d = %v, want %v", i, got[i+7], v)
		}
	}

	m := src.Reshape(600, 500)
	d2 := Zeros(500, 600)
	d2.CopyInPlace(m.T())
	g2, w2 := d2.Float32s(), m.T().Contiguous().Float32s()
	for i := range w2 {
		if g2[i] != w2[i] {
			t.Fatalf("transposed source: element %d = %v, want %v", i, g2[i], w2[i])
		}
	}

	// Overlapping: shift the first n-1000 elements right by 1000.
	buf := Arange(0, n).To(Float32)
	buf.Slice(0, 1000, n, 1).CopyInPlace(buf.Slice(0, 0, n-1000, 1))
	g3 := buf.Float32s()
	for i := 1000; i < n; i++ {
		if g3[i] != float32(i-1000) {
			t.Fatalf("overlapping copy: element %d = %v, want %d", i, g3[i], i-1000)
		}
	}
}
