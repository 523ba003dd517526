package tensorlib

// Float32 row kernels of LayerNorm and BatchNorm. Every quantity is
// computed in float64 from the float32 data, as the generic loops of
// norm.go do, but sums run in 16 float64 lanes: lane l adds the elements
// whose index within the row (or BatchNorm slice) is l modulo 16, and the
// lanes are combined by the fixed tree of lanes16. The inner kernels
// (normKernels) see whole blocks of 16 (sums) or 8 (elementwise) elements;
// the wrappers below add the tails in Go with the same per-element
// formulas, so the AVX2 kernels of norm_amd64.s and the Go ones of
// normGo give the same bits, on any machine. The kernels use no fused
// multiply-add: each product and sum is rounded, and the Go code converts
// products explicitly (float64(a*b) + c), which the Go specification says
// rounds, so that no compiler (or GOAMD64 level) fuses them.

// normKernels is a set of float32 normalisation kernels; normGo holds the
// portable ones and normK those in use (normGo, or AVX2 assembly installed
// by norm_amd64.go). A block kernel's slices are all as long as its first
// slice argument (x or dst), a multiple of the block: 16 for the sums
// (sum, sqDev, sqDev32, lnSums, bnSums), 8 for the rest.
type normKernels struct {
	// sum adds x[j] to acc[j%16].
	sum func(acc *[16]float64, x []float32)
	// sqDev adds (x[j] − m)² to acc[j%16].
	sqDev func(acc *[16]float64, x []float32, m float64)
	// sqDev32 adds float64(d·d), d = x[j] − m in float32 arithmetic, to
	// acc[j%16] (PyTorch's float32 batch-norm variance).
	sqDev32 func(acc *[16]float64, x []float32, m float32)
	// affine stores float32((x[j] − m)·s·w[j] + b[j]), or without the
	// "+ b[j]" for nil b (the layer-norm output). The weight and bias come
	// widened to float64 once per call, which spares a conversion per
	// element and row.
	affine func(dst, x []float32, w, b []float64, m, s float64)
	// scaleShift stores float32((x[j] − m)·s·w + b) (the batch-norm
	// output).
	scaleShift func(dst, x []float32, m, s, w, b float64)
	// lnSums adds g[j]·w[j] to a1[j%16] and g[j]·w[j]·x̂ to a2[j%16], with
	// x̂ = (x[j] − m)·s (the layer-norm backward's row sums).
	lnSums func(a1, a2 *[16]float64, x, g []float32, w []float64, m, s float64)
	// lnDx stores dx[j] = float32(s·(g·w − mgw − x̂·mgwx)) and adds g·x̂
	// to accW[j] and g to accB[j] (the layer-norm input gradient, with the
	// weight and bias gradients' row terms).
	lnDx func(dx, x, g []float32, w, accW, accB []float64, m, s, mgw, mgwx float64)
	// bnSums adds g[j] to aS[j%16] and g[j]·(x[j] − m) to aD[j%16] (the
	// batch-norm backward's channel sums).
	bnSums func(aS, aD *[16]float64, x, g []float32, m float64)
	// bnDx stores dx[j] = float32((g − sc − (x − m)·k)·is·wc) (the
	// training-mode batch-norm input gradient).
	bnDx func(dx, x, g []float32, m, sc, k, is, wc float64)
}

// normGo is the portable implementation of normKernels.
var normGo = normKernels{
	sum:        normSumGo,
	sqDev:      normSqDevGo,
	sqDev32:    normSqDev32Go,
	affine:     normAffineGo,
	scaleShift: normScaleShiftGo,
	lnSums:     lnSumsGo,
	lnDx:       lnDxGo,
	bnSums:     bnSumsGo,
	bnDx:       bnDxGo,
}

// normK is the normKernels in use.
var normK = normGo

// lanes16 combines 16 lanes by halves: lane l with lane l+8, then l+4,
// l+2 and l+1 (the order a vector reduction takes).
func lanes16(a *[16]float64) float64 {
	var t [8]float64
	for l := range t {
		t[l] = a[l] + a[l+8]
	}
	t[0], t[1], t[2], t[3] = t[0]+t[4], t[1]+t[5], t[2]+t[6], t[3]+t[7]
	return (t[0] + t[2]) + (t[1] + t[3])
}

// normRowSum adds the elements of x into acc's lanes.
func normRowSum(acc *[16]float64, x []float32) {
	nb := len(x) &^ 15
	normK.sum(acc, x[:nb])
	for j := nb; j < len(x); j++ {
		acc[j&15] += float64(x[j])
	}
}

// normRowSqDev adds the (x − m)² of x into acc's lanes.
func normRowSqDev(acc *[16]float64, x []float32, m float64) {
	nb := len(x) &^ 15
	normK.sqDev(acc, x[:nb], m)
	for j := nb; j < len(x); j++ {
		d := float64(x[j]) - m
		acc[j&15] += float64(d * d)
	}
}

// normRowSqDev32 adds the float32 squares of the float32 deviations x − m into
// acc's lanes.
func normRowSqDev32(acc *[16]float64, x []float32, m float32) {
	nb := len(x) &^ 15
	normK.sqDev32(acc, x[:nb], m)
	for j := nb; j < len(x); j++ {
		d := x[j] - m
		acc[j&15] += float64(d * d)
	}
}

// normRowAffine stores the layer-norm output (x − m)·s·w + b of a row (no
// "+ b" for nil b).
func normRowAffine(dst, x []float32, w, b []float64, m, s float64) {
	nb := len(x) &^ 7
	var bb []float64
	if b != nil {
		bb = b[:nb]
	}
	normK.affine(dst[:nb], x[:nb], w[:nb], bb, m, s)
	for j := nb; j < len(x); j++ {
		v := float64((float64(x[j]) - m) * s * w[j])
		if b != nil {
			v += b[j]
		}
		dst[j] = float32(v)
	}
}

// normRowScaleShift stores the batch-norm output (x − m)·s·w + b of a slice.
func normRowScaleShift(dst, x []float32, m, s, w, b float64) {
	nb := len(x) &^ 7
	normK.scaleShift(dst[:nb], x[:nb], m, s, w, b)
	for j := nb; j < len(x); j++ {
		dst[j] = float32(float64((float64(x[j])-m)*s*w) + b)
	}
}

// lnRowSums returns a layer-norm row's Σ g·w and Σ g·w·x̂, x̂ = (x − m)·s.
func lnRowSums(x, g []float32, w []float64, m, s float64) (sgw, sgwx float64) {
	var a1, a2 [16]float64
	nb := len(x) &^ 15
	normK.lnSums(&a1, &a2, x[:nb], g[:nb], w[:nb], m, s)
	for j := nb; j < len(x); j++ {
		gw := float64(g[j]) * w[j]
		a1[j&15] += gw
		a2[j&15] += float64(gw * ((float64(x[j]) - m) * s))
	}
	return lanes16(&a1), lanes16(&a2)
}

// lnRowDx stores a layer-norm row's input gradient and adds its terms of
// the weight and bias gradients to accW and accB.
func lnRowDx(dx, x, g []float32, w, accW, accB []float64, m, s, mgw, mgwx float64) {
	nb := len(x) &^ 7
	normK.lnDx(dx[:nb], x[:nb], g[:nb], w[:nb], accW[:nb], accB[:nb], m, s, mgw, mgwx)
	for j := nb; j < len(x); j++ {
		xh := (float64(x[j]) - m) * s
		gv := float64(g[j])
		dx[j] = float32(s * (float64(gv*w[j]) - mgw - float64(xh*mgwx)))
		accW[j] += float64(gv * xh)
		accB[j] += gv
	}
}

// bnRowSums adds a batch-norm slice's g and g·(x − m) into aS's and aD's
// lanes.
func bnRowSums(aS, aD *[16]float64, x, g []float32, m float64) {
	nb := len(x) &^ 15
	normK.bnSums(aS, aD, x[:nb], g[:nb], m)
	for j := nb; j < len(x); j++ {
		gv := float64(g[j])
		aS[j&15] += gv
		aD[j&15] += float64(gv * (float64(x[j]) - m))
	}
}

// bnRowDx stores a batch-norm slice's training-mode input gradient.
func bnRowDx(dx, x, g []float32, m, sc, k, is, wc float64) {
	nb := len(x) &^ 7
	normK.bnDx(dx[:nb], x[:nb], g[:nb], m, sc, k, is, wc)
	for j := nb; j < len(x); j++ {
		dx[j] = float32((float64(g[j]) - sc - float64((float64(x[j])-m)*k)) * is * wc)
	}
}

// normSumGo is normKernels.sum.
func normSumGo(acc *[16]float64, x []float32) {
	for i := 0; i+16 <= len(x); i += 16 {
		q := x[i : i+16 : i+16]
		for l, v := range q {
			acc[l] += float64(v)
		}
	}
}

// normSqDevGo is normKernels.sqDev.
func normSqDevGo(acc *[16]float64, x []float32, m float64) {
	for i := 0; i+16 <= len(x); i += 16 {
		q := x[i : i+16 : i+16]
		for l, v := range q {
			d := float64(v) - m
			acc[l] += float64(d * d)
		}
	}
}

// normSqDev32Go is normKernels.sqDev32.
func normSqDev32Go(acc *[16]float64, x []float32, m float32) {
	for i := 0; i+16 <= len(x); i += 16 {
		q := x[i : i+16 : i+16]
		for l, v := range q {
			d := v - m
			acc[l] += float64(d * d)
		}
	}
}

// normAffineGo is normKernels.affine.
func normAffineGo(dst, x []float32, w, b []float64, m, s float64) {
	x, w = x[:len(dst)], w[:len(dst)]
	if b == nil {
		for j, v := range x {
			dst[j] = float32((float64(v) - m) * s * w[j])
		}
		return
	}
	b = b[:len(dst)]
	for j, v := range x {
		dst[j] = float32(float64((float64(v)-m)*s*w[j]) + b[j])
	}
}

// normScaleShiftGo is normKernels.scaleShift.
func normScaleShiftGo(dst, x []float32, m, s, w, b float64) {
	x = x[:len(dst)]
	for j, v := range x {
		dst[j] = float32(float64((float64(v)-m)*s*w) + b)
	}
}

// lnSumsGo is normKernels.lnSums.
func lnSumsGo(a1, a2 *[16]float64, x, g []float32, w []float64, m, s float64) {
	g, w = g[:len(x)], w[:len(x)]
	for j, v := range x {
		gw := float64(g[j]) * w[j]
		a1[j&15] += gw
		a2[j&15] += float64(gw * ((float64(v) - m) * s))
	}
}

// lnDxGo is normKernels.lnDx.
func lnDxGo(dx, x, g []float32, w, accW, accB []float64, m, s, mgw, mgwx float64) {
	x, g, w, accW, accB = x[:len(dx)], g[:len(dx)], w[:len(dx)], accW[:len(dx)], accB[:len(dx)]
	for j, v := range x {
		xh := (float64(v) - m) * s
		gv := float64(g[j])
		dx[j] = float32(s * (float64(gv*w[j]) - mgw - float64(xh*mgwx)))
		accW[j] += float64(gv * xh)
		accB[j] += gv
	}
}

// bnSumsGo is normKernels.bnSums.
func bnSumsGo(aS, aD *[16]float64, x, g []float32, m float64) {
	g = g[:len(x)]
	for j, v := range x {
		gv := float64(g[j])
		aS[j&15] += gv
		aD[j&15] += float64(gv * (float64(v) - m))
	}
}

// bnDxGo is normKernels.bnDx.
func bnDxGo(dx, x, g []float32, m, sc, k, is, wc float64) {
	x, g = x[:len(dx)], g[:len(dx)]
	for j, v := range x {
		dx[j] = float32((float64(g[j]) - sc - float64((float64(v)-m)*k)) * is * wc)
	}
}
