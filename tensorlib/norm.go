package tensorlib

import "math"

// Layer and batch normalisation (torch.layer_norm, torch.batch_norm) as
// single kernels over the input's own storage: statistics are summed in
// float64 (several running sums per loop, so that the additions do not
// wait on each other), each output is computed in float64 and rounded once
// to the input's dtype, rows or channels run in parallel, and the backward
// pass is one more kernel (NativeLayerNormBackward0,
// NativeBatchNormBackward0). Work is split into chunks whose boundaries do
// not depend on the number of threads, and partial sums are combined in
// chunk order, so results are the same on any number of cores. Float32
// inputs go through the row kernels of norm_f32.go (16 float64 lanes per
// sum; AVX2/AVX-512 assembly with bit-identical Go fallbacks), float64 ones
// through the generic loops here.

// LayerNorm is torch.layer_norm (torch.nn.functional.layer_norm): x is
// normalised over its last len(normalizedShape) dimensions, which must
// equal normalizedShape, to zero mean and unit (biased) variance, then
// scaled by weight and shifted by bias (either may be nil; otherwise each
// has shape normalizedShape). eps is added to the variance. Its grad_fn
// is NativeLayerNormBackward0.
func LayerNorm(x *Tensor, normalizedShape []int, weight, bias *Tensor, eps float64) *Tensor {
	const op = "LayerNorm"
	if !x.dtype.IsFloat() {
		failShapes(op, [][]int{x.shape}, "expected a floating-point input, got %v", x.dtype)
	}
	k := len(normalizedShape)
	if k == 0 || len(x.shape) < k || !sameShape(x.shape[len(x.shape)-k:], normalizedShape) {
		ns := shapeString(normalizedShape)
		failShapes(op, [][]int{x.shape}, "given normalized_shape=%s, expected input with shape [*, %s], but got input of size %s",
			ns, ns[1:len(ns)-1], shapeString(x.shape))
	}
	for _, p := range []*Tensor{weight, bias} {
		if p == nil {
			continue
		}
		if !sameShape(p.shape, normalizedShape) {
			failShapes(op, [][]int{x.shape, p.shape}, "expected weight and bias of shape %s", shapeString(normalizedShape))
		}
		if p.dtype != x.dtype {
			failShapes(op, [][]int{x.shape, p.shape}, "expected weight and bias of dtype %v, got %v", x.dtype, p.dtype)
		}
	}
	n := numelOf(normalizedShape)
	rows := 0
	if n > 0 {
		rows = x.Numel() / n
	}
	var out *Tensor
	var mean, rstd []float64
	switch x.dtype {
	case Float32:
		var o []float32
		o, mean, rstd = layerNormForwardF32(contiguousData[float32](x), optData[float32](weight), optData[float32](bias), rows, n, eps)
		out = fromData(Float32, o, x.shape)
	default:
		var o []float64
		o, mean, rstd = layerNormForward(contiguousData[float64](x), optData[float64](weight), optData[float64](bias), rows, n, eps)
		out = fromData(Float64, o, x.shape)
	}
	if needsGrad(x, weight, bias) {
		record(out, "NativeLayerNormBackward0", []*Tensor{x, weight, bias}, savedIf(true, x, weight != nil, weight), func(g *Tensor) []*Tensor {
			needW, needB := weight != nil && weight.RequiresGrad(), bias != nil && bias.RequiresGrad()
			var gx, gw, gb any
			switch x.dtype {
			case Float32:
				gx, gw, gb = layerNormBackwardF32(contiguousData[float32](x), optData[float32](weight), contiguousData[float32](g), mean, rstd, rows, n, needW, needB)
			default:
				gx, gw, gb = layerNormBackward(contiguousData[float64](x), optData[float64](weight), contiguousData[float64](g), mean, rstd, rows, n, needW, needB)
			}
			grads := []*Tensor{fromData(x.dtype, gx, x.shape), nil, nil}
			if needW {
				grads[1] = fromData(x.dtype, gw, weight.shape)
			}
			if needB {
				grads[2] = fromData(x.dtype, gb, bias.shape)
			}
			return grads
		})
	}
	return out
}

// normChunk is the number of elements a chunk of normalisation work aims
// at: large enough to amortise handing it to a thread, small enough to
// balance two or more.
const normChunk = 1 << 14

// layerNormForward normalises rows×n values x, returning the output and
// each row's mean and reciprocal standard deviation.
func layerNormForward[T float](x, w, b []T, rows, n int, eps float64) (out []T, mean, rstd []float64) {
	out = allocFloats[T](rows*n, false)
	mean, rstd = make([]float64, rows), make([]float64, rows)
	chunkRows := max(1, normChunk/max(n, 1))
	parallelFor(rows, 2*chunkRows, chunkRows, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			row, o := x[r*n:(r+1)*n], out[r*n:(r+1)*n]
			m := sum4F64(row) / float64(n)
			v := sumSqDev4(row, m) / float64(n)
			s := 1 / math.Sqrt(v+eps)
			mean[r], rstd[r] = m, s
			switch {
			case w != nil && b != nil:
				w, b := w[:n], b[:n]
				for j, xv := range row {
					o[j] = T((float64(xv)-m)*s*float64(w[j]) + float64(b[j]))
				}
			case w != nil:
				w := w[:n]
				for j, xv := range row {
					o[j] = T((float64(xv) - m) * s * float64(w[j]))
				}
			case b != nil:
				b := b[:n]
				for j, xv := range row {
					o[j] = T((float64(xv)-m)*s + float64(b[j]))
				}
			default:
				for j, xv := range row {
					o[j] = T((float64(xv) - m) * s)
				}
			}
		}
	})
	return out, mean, rstd
}

// layerNormForwardF32 is layerNormForward for float32, with the row
// kernels of norm_f32.go (16-lane sums; the weight and bias widened to
// float64 once, a nil weight as ones, which multiply exactly).
func layerNormForwardF32(x, w, b []float32, rows, n int, eps float64) (out []float32, mean, rstd []float64) {
	out = allocFloats[float32](rows*n, false)
	mean, rstd = make([]float64, rows), make([]float64, rows)
	w64, b64 := widenOrOnes(w, n), widenOrOnes(b, n)
	if b == nil {
		b64 = nil
	}
	chunkRows := max(1, normChunk/max(n, 1))
	parallelFor(rows, 2*chunkRows, chunkRows, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			row := x[r*n : (r+1)*n]
			var acc [16]float64
			normRowSum(&acc, row)
			m := lanes16(&acc) / float64(n)
			acc = [16]float64{}
			normRowSqDev(&acc, row, m)
			s := 1 / math.Sqrt(lanes16(&acc)/float64(n)+eps)
			mean[r], rstd[r] = m, s
			normRowAffine(out[r*n:(r+1)*n], row, w64, b64, m, s)
		}
	})
	return out, mean, rstd
}

// widenOrOnes returns v in float64, or n ones for nil v.
func widenOrOnes(v []float32, n int) []float64 {
	o := make([]float64, n)
	for j := range o {
		o[j] = 1
		if v != nil {
			o[j] = float64(v[j])
		}
	}
	return o
}

// layerNormBackward returns the gradients of x and, where asked for, of the
// weight and bias, given the output gradient g:
//
//	x̂ = (x − mean)·rstd,  dx = rstd·(g·w − mean(g·w) − x̂·mean(g·w·x̂))
//	dw = Σ_rows g·x̂,      db = Σ_rows g
func layerNormBackward[T float](x, w, g []T, mean, rstd []float64, rows, n int, needW, needB bool) (gx, gw, gb []T) {
	gx = allocFloats[T](rows*n, false)
	chunkRows := max(1, normChunk/max(n, 1))
	chunks := ceilDiv(rows, chunkRows)
	// Per chunk partial sums of dw and db, combined in chunk order.
	var pw, pb []float64
	if needW {
		pw = make([]float64, chunks*n)
	}
	if needB {
		pb = make([]float64, chunks*n)
	}
	fn := float64(n)
	w64 := make([]float64, n) // the weight, or ones
	for j := range w64 {
		w64[j] = 1
		if w != nil {
			w64[j] = float64(w[j])
		}
	}
	parallelFor(rows, 2*chunkRows, chunkRows, func(r0, r1 int) {
		c := r0 / chunkRows
		// The chunk's partial dw and db (scratch when not wanted, which
		// keeps the loop below free of branches).
		var accW, accB []float64
		if pw != nil {
			accW = pw[c*n : (c+1)*n]
		} else {
			accW = make([]float64, n)
		}
		if pb != nil {
			accB = pb[c*n : (c+1)*n]
		} else {
			accB = make([]float64, n)
		}
		accW, accB = accW[:n], accB[:n]
		for r := r0; r < r1; r++ {
			xr, gr, dx := x[r*n:(r+1)*n], g[r*n:(r+1)*n], gx[r*n:(r+1)*n]
			m, s := mean[r], rstd[r]
			// Σ g·w and Σ g·w·x̂, in two running sums each.
			var s1a, s1b, s2a, s2b float64
			j := 0
			for ; j+2 <= n; j += 2 {
				xh0, xh1 := (float64(xr[j])-m)*s, (float64(xr[j+1])-m)*s
				gw0, gw1 := float64(gr[j])*w64[j], float64(gr[j+1])*w64[j+1]
				s1a += gw0
				s1b += gw1
				s2a += gw0 * xh0
				s2b += gw1 * xh1
			}
			if j < n {
				xh, gw := (float64(xr[j])-m)*s, float64(gr[j])*w64[j]
				s1a += gw
				s2a += gw * xh
			}
			mgw, mgwx := (s1a+s1b)/fn, (s2a+s2b)/fn
			gr, dx = gr[:n], dx[:n]
			for j, xv := range xr {
				xh := (float64(xv) - m) * s
				gv := float64(gr[j])
				dx[j] = T(s * (gv*w64[j] - mgw - xh*mgwx))
				accW[j] += gv * xh
				accB[j] += gv
			}
		}
	})
	return gx, sumChunks[T](pw, chunks, n), sumChunks[T](pb, chunks, n)
}

// layerNormBackwardF32 is layerNormBackward for float32, with the row
// kernels of norm_f32.go: per row one pass for Σ g·w and Σ g·w·x̂ (16-lane
// sums) and one for dx that also adds the row's terms of dw and db to the
// chunk's float64 partial sums.
func layerNormBackwardF32(x, w, g []float32, mean, rstd []float64, rows, n int, needW, needB bool) (gx, gw, gb []float32) {
	gx = allocFloats[float32](rows*n, false)
	chunkRows := max(1, normChunk/max(n, 1))
	chunks := ceilDiv(rows, chunkRows)
	var pw, pb []float64
	if needW {
		pw = make([]float64, chunks*n)
	}
	if needB {
		pb = make([]float64, chunks*n)
	}
	w64 := widenOrOnes(w, n)
	fn := float64(n)
	parallelFor(rows, 2*chunkRows, chunkRows, func(r0, r1 int) {
		c := r0 / chunkRows
		var accW, accB []float64
		if pw != nil {
			accW = pw[c*n : (c+1)*n]
		} else {
			accW = make([]float64, n)
		}
		if pb != nil {
			accB = pb[c*n : (c+1)*n]
		} else {
			accB = make([]float64, n)
		}
		for r := r0; r < r1; r++ {
			xr, gr := x[r*n:(r+1)*n], g[r*n:(r+1)*n]
			m, s := mean[r], rstd[r]
			sgw, sgwx := lnRowSums(xr, gr, w64, m, s)
			lnRowDx(gx[r*n:(r+1)*n], xr, gr, w64, accW, accB, m, s, sgw/fn, sgwx/fn)
		}
	})
	return gx, sumChunks[float32](pw, chunks, n), sumChunks[float32](pb, chunks, n)
}

// sumChunks adds the chunks consecutive n-element partial sums in p, in
// order, and rounds the totals to T; nil for nil p.
func sumChunks[T float](p []float64, chunks, n int) []T {
	if p == nil {
		return nil
	}
	out := make([]T, n)
	for j := range out {
		s := 0.0
		for c := 0; c < chunks; c++ {
			s += p[c*n+j]
		}
		out[j] = T(s)
	}
	return out
}

// sumSqDev4 returns Σ (v − m)² in float64, with four running sums.
func sumSqDev4[T float](v []T, m float64) float64 {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		q := v[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(q[0])-m, float64(q[1])-m, float64(q[2])-m, float64(q[3])-m
		a0 += d0 * d0
		a1 += d1 * d1
		a2 += d2 * d2
		a3 += d3 * d3
	}
	for ; i < len(v); i++ {
		d := float64(v[i]) - m
		a0 += d * d
	}
	return (a0 + a1) + (a2 + a3)
}

// BatchNorm is torch.batch_norm (torch.nn.functional.batch_norm): each
// channel (dimension 1) of x, which has at least two dimensions, is
// normalised over the batch and any further dimensions, then scaled by
// weight and shifted by bias (per-channel, may be nil). With training it
// uses the batch's statistics and, when runningMean and runningVar are set,
// updates them in place with weight momentum (the variance with Bessel's
// correction); otherwise it uses the running estimates, which must then be
// set. Its grad_fn is NativeBatchNormBackward0.
//
// As PyTorch's CPU kernel does for float32, a channel's mean is summed in
// float64 and rounded to float32, and its squared deviations are computed
// in float32 and summed in float64.
func BatchNorm(x, runningMean, runningVar, weight, bias *Tensor, training bool, momentum, eps float64) *Tensor {
	const op = "BatchNorm"
	if !x.dtype.IsFloat() {
		failShapes(op, [][]int{x.shape}, "expected a floating-point input, got %v", x.dtype)
	}
	if len(x.shape) < 2 {
		failShapes(op, [][]int{x.shape}, "expected an input with at least 2 dimensions")
	}
	nb, c := x.shape[0], x.shape[1]
	s := numelOf(x.shape[2:])
	for _, p := range []*Tensor{weight, bias, runningMean, runningVar} {
		if p == nil {
			continue
		}
		if len(p.shape) != 1 || p.shape[0] != c {
			failShapes(op, [][]int{x.shape, p.shape}, "expected per-channel tensors of shape [%d]", c)
		}
		if p.dtype != x.dtype {
			failShapes(op, [][]int{x.shape, p.shape}, "expected per-channel tensors of dtype %v, got %v", x.dtype, p.dtype)
		}
	}
	if !training && (runningMean == nil || runningVar == nil) {
		fail(op, "running_mean and running_var must be defined in evaluation mode")
	}
	count := nb * s
	if training && count <= 1 {
		failShapes(op, [][]int{x.shape}, "Expected more than 1 value per channel when training, got input size %s", shapeString(x.shape))
	}
	geo := batchNormGeom{n: nb, c: c, s: s, training: training}
	var out *Tensor
	switch x.dtype {
	case Float32:
		out = batchNormRun[float32](x, runningMean, runningVar, weight, bias, geo, momentum, eps)
	default:
		out = batchNormRun[float64](x, runningMean, runningVar, weight, bias, geo, momentum, eps)
	}
	return out
}

// batchNormGeom is an (N, C, S) view of a batch-norm input.
type batchNormGeom struct {
	n, c, s  int
	training bool
}

// batchNormRun is BatchNorm in element type T: statistics, running
// estimates, output and the backward node.
func batchNormRun[T float](x, runningMean, runningVar, weight, bias *Tensor, geo batchNormGeom, momentum, eps float64) *Tensor {
	xd := contiguousData[T](x)
	c := geo.c
	mean, invstd := make([]float64, c), make([]float64, c)
	w, b := optData[T](weight), optData[T](bias)
	od := allocFloats[T](len(xd), false)
	// output normalises channel ch with mean[ch] and invstd[ch].
	output := func(ch int) {
		wc, bc := 1.0, 0.0
		if w != nil {
			wc = float64(w[ch])
		}
		if b != nil {
			bc = float64(b[ch])
		}
		m, is := mean[ch], invstd[ch]
		if x32, ok := any(xd).([]float32); ok {
			o32 := any(od).([]float32)
			for i := 0; i < geo.n; i++ {
				off := (i*c + ch) * geo.s
				normRowScaleShift(o32[off:off+geo.s], x32[off:off+geo.s], m, is, wc, bc)
			}
			return
		}
		for i := 0; i < geo.n; i++ {
			off := (i*c + ch) * geo.s
			src, dst := xd[off:off+geo.s], od[off:off+geo.s]
			for j, v := range src {
				dst[j] = T((float64(v)-m)*is*wc + bc)
			}
		}
	}
	if geo.training {
		// Each channel's statistics and then its output, while the
		// channel's values are still in cache.
		varSum := make([]float64, c)
		geo.perChannel(func(ch int) {
			mean[ch], varSum[ch] = batchStats(xd, geo, ch)
			invstd[ch] = 1 / math.Sqrt(varSum[ch]/float64(geo.n*geo.s)+eps)
			output(ch)
		})
		NoGrad(func() {
			count := float64(geo.n * geo.s)
			if runningMean != nil {
				rm := runningMean.Float64s()
				for ch := range rm {
					rm[ch] = momentum*mean[ch] + (1-momentum)*rm[ch]
				}
				runningMean.CopyInPlace(FromFloat64s(rm, c))
			}
			if runningVar != nil {
				rv := runningVar.Float64s()
				for ch := range rv {
					rv[ch] = momentum*(varSum[ch]/(count-1)) + (1-momentum)*rv[ch]
				}
				runningVar.CopyInPlace(FromFloat64s(rv, c))
			}
		})
	} else {
		copy(mean, runningMean.Float64s())
		for ch, v := range runningVar.Float64s() {
			invstd[ch] = 1 / math.Sqrt(v+eps)
		}
		geo.perChannel(output)
	}
	out := fromData(x.dtype, od, x.shape)
	if needsGrad(x, weight, bias) {
		record(out, "NativeBatchNormBackward0", []*Tensor{x, weight, bias}, savedIf(true, x, weight != nil, weight), func(g *Tensor) []*Tensor {
			gx, gw, gb := batchNormBackward(xd, w, contiguousData[T](g), mean, invstd, geo,
				weight != nil && weight.RequiresGrad(), bias != nil && bias.RequiresGrad())
			grads := []*Tensor{fromData(x.dtype, gx, x.shape), nil, nil}
			if gw != nil {
				grads[1] = fromData(x.dtype, gw, weight.shape)
			}
			if gb != nil {
				grads[2] = fromData(x.dtype, gb, bias.shape)
			}
			return grads
		})
	}
	return out
}

// perChannel calls fn for every channel, channels in parallel when the
// input is large.
func (geo batchNormGeom) perChannel(fn func(ch int)) {
	per := geo.n * geo.s
	parallelFor(geo.c, max(2, 2*normChunk/max(per, 1)), 1, func(c0, c1 int) {
		for ch := c0; ch < c1; ch++ {
			fn(ch)
		}
	})
}

// batchStats returns channel ch's mean and sum of squared deviations as
// PyTorch's CPU kernel computes them: sums in float64; for float32 the
// mean rounded to float32, the deviations and their squares computed in
// float32, and the sum of squares rounded to float32.
func batchStats[T float](x []T, geo batchNormGeom, ch int) (mean, varSum float64) {
	count := float64(geo.n * geo.s)
	if x32, ok := any(x).([]float32); ok {
		// 16-lane sums over all of the channel's slices (norm_f32.go).
		var acc [16]float64
		for i := 0; i < geo.n; i++ {
			off := (i*geo.c + ch) * geo.s
			normRowSum(&acc, x32[off:off+geo.s])
		}
		m := float32(lanes16(&acc) / count)
		acc = [16]float64{}
		for i := 0; i < geo.n; i++ {
			off := (i*geo.c + ch) * geo.s
			normRowSqDev32(&acc, x32[off:off+geo.s], m)
		}
		return float64(m), float64(float32(lanes16(&acc)))
	}
	sum := 0.0
	for i := 0; i < geo.n; i++ {
		off := (i*geo.c + ch) * geo.s
		sum += sum4F64(x[off : off+geo.s])
	}
	mean = sum / count
	for i := 0; i < geo.n; i++ {
		off := (i*geo.c + ch) * geo.s
		varSum += sumSqDev4(x[off:off+geo.s], mean)
	}
	return mean, varSum
}

// batchNormBackward returns the gradients of x and, where asked for, of the
// weight and bias, given the output gradient g. Per channel, with
// sum = Σ g and dot = Σ g·(x − mean):
//
//	training: dx = (g − sum/count − (x − mean)·dot·invstd²/count)·invstd·w
//	eval:     dx = g·invstd·w
//	dw = dot·invstd, db = sum
func batchNormBackward[T float](x, w, g []T, mean, invstd []float64, geo batchNormGeom, needW, needB bool) (gx, gw, gb []T) {
	c, count := geo.c, float64(geo.n*geo.s)
	gx = allocFloats[T](len(x), false)
	sum, dot := make([]float64, c), make([]float64, c)
	geo.perChannel(func(ch int) {
		m, is := mean[ch], invstd[ch]
		wc := 1.0
		if w != nil {
			wc = float64(w[ch])
		}
		if x32, ok := any(x).([]float32); ok {
			// 16-lane sums over all of the channel's slices, then dx
			// (norm_f32.go).
			g32, gx32 := any(g).([]float32), any(gx).([]float32)
			var aS, aD [16]float64
			for i := 0; i < geo.n; i++ {
				off := (i*c + ch) * geo.s
				bnRowSums(&aS, &aD, x32[off:off+geo.s], g32[off:off+geo.s], m)
			}
			s, d := lanes16(&aS), lanes16(&aD)
			sum[ch], dot[ch] = s, d
			k := d * is * is / count
			for i := 0; i < geo.n; i++ {
				off := (i*c + ch) * geo.s
				gs, xs, dx := g32[off:off+geo.s], x32[off:off+geo.s], gx32[off:off+geo.s]
				if geo.training {
					bnRowDx(dx, xs, gs, m, s/count, k, is, wc)
				} else {
					for j, gv := range gs {
						dx[j] = float32(float64(gv) * is * wc)
					}
				}
			}
			return
		}
		var s, d float64
		for i := 0; i < geo.n; i++ {
			off := (i*c + ch) * geo.s
			gs, xs := g[off:off+geo.s], x[off:off+geo.s]
			s += sum4F64(gs)
			d += dotDev4(gs, xs, m)
		}
		sum[ch], dot[ch] = s, d
		k := d * is * is / count
		for i := 0; i < geo.n; i++ {
			off := (i*c + ch) * geo.s
			gs, xs, dx := g[off:off+geo.s], x[off:off+geo.s], gx[off:off+geo.s]
			if geo.training {
				for j, gv := range gs {
					dx[j] = T((float64(gv) - s/count - (float64(xs[j])-m)*k) * is * wc)
				}
			} else {
				for j, gv := range gs {
					dx[j] = T(float64(gv) * is * wc)
				}
			}
		}
	})
	if needW {
		gw = make([]T, c)
		for ch := range gw {
			gw[ch] = T(dot[ch] * invstd[ch])
		}
	}
	if needB {
		gb = make([]T, c)
		for ch := range gb {
			gb[ch] = T(sum[ch])
		}
	}
	return gx, gw, gb
}

// dotDev4 returns Σ g·(x − m) in float64, with four running sums.
func dotDev4[T float](g, x []T, m float64) float64 {
	var a0, a1, a2, a3 float64
	x = x[:len(g)]
	i := 0
	for ; i+4 <= len(g); i += 4 {
		q, p := g[i:i+4:i+4], x[i:i+4:i+4]
		a0 += float64(q[0]) * (float64(p[0]) - m)
		a1 += float64(q[1]) * (float64(p[1]) - m)
		a2 += float64(q[2]) * (float64(p[2]) - m)
		a3 += float64(q[3]) * (float64(p[3]) - m)
	}
	for ; i < len(g); i++ {
		a0 += float64(g[i]) * (float64(x[i]) - m)
	}
	return (a0 + a1) + (a2 + a3)
}
