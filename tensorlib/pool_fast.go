package tensorlib

import "math"

// The common max pooling, a 2×2 window with stride 2 and no padding or
// dilation (a CNN's MaxPool2d(2)), without the general kernel's window
// loops: each output compares its four inputs in the general kernel's order
// (row by row), so ties keep the first element and NaN wins as there, and
// the comparisons are written so that the compiler can select without
// branching, which random data would mispredict.

// maxPool2x2 pools x as maxPoolForward does when g is a 2×2, stride-2
// pooling without padding, dilation or ceil-mode windows, and reports
// whether it did.
func maxPool2x2[T float](x []T, idx []int64, g poolGeom) ([]T, bool) {
	if !g.is2x2() {
		return nil, false
	}
	plane, oplane := g.h*g.w, g.oh*g.ow
	out := allocFloats[T](g.planes*oplane, false)
	chunk := max(1, cheapChunk/max(plane, 1))
	parallelFor(g.planes, max(2, cheapParallelMin/max(plane, 1)), chunk, func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			in := x[p*plane : (p+1)*plane]
			o, ix := out[p*oplane:(p+1)*oplane], idx[p*oplane:(p+1)*oplane]
			if in32, ok := any(in).([]float32); ok {
				pool2x2Plane32(any(o).([]float32), ix, in32, g.oh, g.ow, g.w)
				continue
			}
			for oy := 0; oy < g.oh; oy++ {
				r0 := 2 * oy * g.w
				pool2x2Row(o[oy*g.ow:(oy+1)*g.ow], ix[oy*g.ow:(oy+1)*g.ow], in[r0:r0+2*g.ow], in[r0+g.w:r0+g.w+2*g.ow], r0, g.w)
			}
		}
	})
	return out, true
}

// is2x2 reports whether g is a 2×2, stride-2 pooling without padding,
// dilation or ceil-mode windows.
func (g poolGeom) is2x2() bool {
	return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1 &&
		g.oh == g.h/2 && g.ow == g.w/2
}

// maxPool2x2Backward computes maxPoolBackward's input gradient for a 2×2
// pooling (is2x2), planes in parallel, and reports whether it did: the
// windows do not overlap, so each plane is zeroed and scattered into by
// its own thread (with +=, as the general kernel, for the same -0); a
// recycled buffer is zeroed plane by plane, just before its scatter.
func maxPool2x2Backward[T float](gout []T, idx []int64, g poolGeom) ([]T, bool) {
	if !g.is2x2() {
		return nil, false
	}
	plane, oplane := g.h*g.w, g.oh*g.ow
	gx, zeroed := allocFloatsReport[T](g.planes * plane)
	parallelFor(g.planes, max(2, cheapParallelMin/max(plane, 1)), max(1, cheapChunk/max(plane, 1)), func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			dst := gx[p*plane : (p+1)*plane]
			if !zeroed {
				clear(dst)
			}
			src, ix := gout[p*oplane:(p+1)*oplane], idx[p*oplane:(p+1)*oplane]
			for i, v := range src {
				dst[ix[i]] += v
			}
		}
	})
	return gx, true
}

// pool2x2Row pools one output row from input rows row0 and row1 (which
// start at plane position r0, w apart).
func pool2x2Row[T float](orow []T, irow []int64, row0, row1 []T, r0, w int) {
	for ox := range orow {
		c := 2 * ox
		best, bi := row0[c], r0+c
		if v := row0[c+1]; (v > best) != (v != v) {
			best, bi = v, r0+c+1
		}
		if v := row1[c]; (v > best) != (v != v) {
			best, bi = v, r0+w+c
		}
		if v := row1[c+1]; (v > best) != (v != v) {
			best, bi = v, r0+w+c+1
		}
		orow[ox], irow[ox] = best, int64(bi)
	}
}

// pool2x2Plane32 pools a float32 plane of oh×ow outputs from the input
// plane in of width w: pool2x2PlaneGo, or the AVX2 kernel where the CPU
// allows (kernels_amd64.go).
var pool2x2Plane32 = pool2x2PlaneGo

// pool2x2PlaneGo pools a float32 plane row by row with pool2x2RowF32.
func pool2x2PlaneGo(o []float32, ix []int64, in []float32, oh, ow, w int) {
	for oy := 0; oy < oh; oy++ {
		r0 := 2 * oy * w
		pool2x2RowF32(o[oy*ow:(oy+1)*ow], ix[oy*ow:(oy+1)*ow], in[r0:r0+2*ow], in[r0+w:r0+w+2*ow], r0, w)
	}
}

// pool2x2RowF32 is pool2x2Row for float32 without branches: each step's
// "v is larger or NaN" (never both, so != is their "or") becomes a mask
// that selects the value's bits and the index, which random data would
// otherwise mispredict.
func pool2x2RowF32(orow []float32, irow []int64, row0, row1 []float32, r0, w int) {
	row0, row1 = row0[:2*len(orow)], row1[:2*len(orow)]
	irow = irow[:len(orow)]
	for ox := range orow {
		c := 2 * ox
		best := row0[c]
		bb, bi := math.Float32bits(best), 0
		for k, v := range [3]float32{row0[c+1], row1[c], row1[c+1]} {
			var m uint32
			if (v > best) != (v != v) {
				m = ^uint32(0)
			}
			bb ^= m & (bb ^ math.Float32bits(v))
			bi ^= int(m) & (bi ^ (k + 1))
			best = math.Float32frombits(bb)
		}
		orow[ox] = best
		irow[ox] = int64(r0 + c + bi&1 + bi>>1*w)
	}
}
