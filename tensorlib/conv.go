package tensorlib

import (
	"runtime"
	"sync"
)

// Convolution (torch.nn.functional.conv1d / conv2d) by im2col: for each
// sample and group the receptive fields are unfolded into a matrix of
// columns (Cg·kH·kW rows, one column per output position) and multiplied by
// the group's weights with gemm. Backward multiplies the output gradient by
// the columns (weight gradient) and by the weights (column gradient, folded
// back onto the input by col2im). 1-D convolution is 2-D convolution over a
// height of one.

// ConvOptions are the optional settings of Conv1d and Conv2d; the zero value
// is PyTorch's default (stride 1, no padding, dilation 1, one group).
// Each size holds one value per spatial dimension, or a single value used
// for all of them.
type ConvOptions struct {
	Stride   []int // step between applications of the kernel; default 1
	Padding  []int // implicit zeros added on both sides; default 0
	Dilation []int // spacing between kernel elements; default 1
	Groups   int   // input and output channels are split into this many independent groups; default 1
}

// Conv1d is torch.nn.functional.conv1d: x (N, C, L) or unbatched (C, L),
// weight (O, C/groups, K), bias (O) or nil. The result is (N, O, Lout).
func Conv1d(x, weight, bias *Tensor, opts ...ConvOptions) *Tensor {
	const op = "Conv1d"
	o := convOpts(opts)
	if len(weight.shape) != 3 {
		failShapes(op, [][]int{x.shape, weight.shape}, "expected a 3-dimensional weight (out_channels, in_channels/groups, kernel), got %d dimensions", len(weight.shape))
	}
	if len(x.shape) != 2 && len(x.shape) != 3 {
		failShapes(op, [][]int{x.shape, weight.shape}, "expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: %s", shapeString(x.shape))
	}
	g := convGeom{op: op, groups: o.Groups}
	g.sh, g.ph, g.dh = 1, 0, 1
	g.sw = convSize(op, "stride", o.Stride, 1, 1)[0]
	g.pw = convSize(op, "padding", o.Padding, 1, 0)[0]
	g.dw = convSize(op, "dilation", o.Dilation, 1, 1)[0]
	unbatched := len(x.shape) == 2
	xs := x.shape
	if unbatched {
		xs = append([]int{1}, xs...)
	}
	g.n, g.c, g.h, g.w = xs[0], xs[1], 1, xs[2]
	g.o, g.kh, g.kw = weight.shape[0], 1, weight.shape[2]
	g.check(x, weight, bias, weight.shape[1])
	out := convolution(x, weight, bias, g, []int{g.n, g.o, g.ow})
	if unbatched {
		return out.Squeeze(0)
	}
	return out
}

// Conv2d is torch.nn.functional.conv2d: x (N, C, H, W) or unbatched
// (C, H, W), weight (O, C/groups, kH, kW), bias (O) or nil. The result is
// (N, O, Hout, Wout) with Hout = ⌊(H + 2·padding − dilation·(kH−1) − 1) /
// stride⌋ + 1, and likewise Wout. Its grad_fn is ConvolutionBackward0.
func Conv2d(x, weight, bias *Tensor, opts ...ConvOptions) *Tensor {
	const op = "Conv2d"
	o := convOpts(opts)
	if len(weight.shape) != 4 {
		failShapes(op, [][]int{x.shape, weight.shape}, "expected a 4-dimensional weight (out_channels, in_channels/groups, kH, kW), got %d dimensions", len(weight.shape))
	}
	if len(x.shape) != 3 && len(x.shape) != 4 {
		failShapes(op, [][]int{x.shape, weight.shape}, "expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: %s", shapeString(x.shape))
	}
	g := convGeom{op: op, groups: o.Groups}
	s := convSize(op, "stride", o.Stride, 2, 1)
	p := convSize(op, "padding", o.Padding, 2, 0)
	d := convSize(op, "dilation", o.Dilation, 2, 1)
	g.sh, g.sw, g.ph, g.pw, g.dh, g.dw = s[0], s[1], p[0], p[1], d[0], d[1]
	unbatched := len(x.shape) == 3
	xs := x.shape
	if unbatched {
		xs = append([]int{1}, xs...)
	}
	g.n, g.c, g.h, g.w = xs[0], xs[1], xs[2], xs[3]
	g.o, g.kh, g.kw = weight.shape[0], weight.shape[2], weight.shape[3]
	g.check(x, weight, bias, weight.shape[1])
	out := convolution(x, weight, bias, g, []int{g.n, g.o, g.oh, g.ow})
	if unbatched {
		return out.Squeeze(0)
	}
	return out
}

func convOpts(opts []ConvOptions) ConvOptions {
	var o ConvOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// convSize expands a per-dimension size option: nil gives def, one value is
// used for all n dimensions.
func convSize(op, name string, v []int, n, def int) []int {
	out := make([]int, n)
	switch len(v) {
	case 0:
		for i := range out {
			out[i] = def
		}
	case 1:
		for i := range out {
			out[i] = v[0]
		}
	case n:
		copy(out, v)
	default:
		fail(op, "%s must have 1 or %d values, got %v", name, n, v)
	}
	for _, s := range out {
		if (name == "padding" && s < 0) || (name != "padding" && s <= 0) {
			if name == "padding" {
				fail(op, "negative padding is not supported, got %v", v)
			}
			fail(op, "non-positive %s is not supported, got %v", name, v)
		}
	}
	return out
}

// convGeom is one convolution's geometry, always in 2-D form.
type convGeom struct {
	op                     string
	n, c, h, w             int // input
	o, kh, kw              int // weight
	sh, sw, ph, pw, dh, dw int // stride, padding, dilation
	groups                 int
	oh, ow                 int // output
}

// check validates dtypes and shapes and computes the output size.
func (g *convGeom) check(x, weight, bias *Tensor, cg int) {
	shapes := [][]int{x.shape, weight.shape}
	if bias != nil {
		shapes = append(shapes, bias.shape)
	}
	if !x.dtype.IsFloat() || x.dtype != weight.dtype || (bias != nil && bias.dtype != x.dtype) {
		dts := []*Tensor{x, weight}
		if bias != nil {
			dts = append(dts, bias)
		}
		if !x.dtype.IsFloat() {
			unsupported(g.op, dts...)
		}
		failShapes(g.op, shapes, "expected input, weight and bias to have the same floating-point dtype, got %v", dtypeNames(dts))
	}
	if g.groups <= 0 {
		fail(g.op, "non-positive groups is not supported, got %d", g.groups)
	}
	if g.o%g.groups != 0 {
		failShapes(g.op, shapes, "out_channels (%d) must be divisible by groups (%d)", g.o, g.groups)
	}
	if cg*g.groups != g.c {
		failShapes(g.op, shapes, "given groups=%d, weight of size %s, expected input%s to have %d channels, but got %d channels instead", g.groups, shapeString(weight.shape), shapeString(x.shape), cg*g.groups, g.c)
	}
	if bias != nil && (len(bias.shape) != 1 || bias.shape[0] != g.o) {
		failShapes(g.op, shapes, "given weight of size %s, expected bias to be 1-dimensional with %d elements, but got bias of size %s instead", shapeString(weight.shape), g.o, shapeString(bias.shape))
	}
	effH, effW := g.dh*(g.kh-1)+1, g.dw*(g.kw-1)+1
	inH, inW := g.h+2*g.ph, g.w+2*g.pw
	if inH < effH || inW < effW {
		failShapes(g.op, shapes, "calculated padded input size per channel: (%d x %d). Kernel size: (%d x %d). Kernel size can't be greater than actual input size", inH, inW, effH, effW)
	}
	g.oh = (inH-effH)/g.sh + 1
	g.ow = (inW-effW)/g.sw + 1
}

func dtypeNames(ts []*Tensor) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.dtype.String()
	}
	return out
}

// convolution runs the kernel in x's dtype and records ConvolutionBackward0.
// x is read as (N, C, H, W), the weight as (O, C/groups, kH, kW), and the
// result, laid out as (N, O, oh, ow), gets shape.
func convolution(x, weight, bias *Tensor, g convGeom, shape []int) *Tensor {
	var out *Tensor
	switch x.dtype {
	case Float32:
		out = fromData(Float32, convForward(contiguousData[float32](x), contiguousData[float32](weight), optData[float32](bias), g), shape)
	default:
		out = fromData(Float64, convForward(contiguousData[float64](x), contiguousData[float64](weight), optData[float64](bias), g), shape)
	}
	if needsGrad(x, weight, bias) {
		record(out, "ConvolutionBackward0", []*Tensor{x, weight, bias}, []*Tensor{x, weight}, func(gout *Tensor) []*Tensor {
			needX, needW := x.RequiresGrad(), weight.RequiresGrad()
			needB := bias != nil && bias.RequiresGrad()
			var gx, gw, gb any
			switch x.dtype {
			case Float32:
				gx, gw, gb = convBackward(contiguousData[float32](x), contiguousData[float32](weight), contiguousData[float32](gout), g, needX, needW, needB)
			default:
				gx, gw, gb = convBackward(contiguousData[float64](x), contiguousData[float64](weight), contiguousData[float64](gout), g, needX, needW, needB)
			}
			grads := make([]*Tensor, 3)
			if needX {
				grads[0] = fromData(x.dtype, gx, x.shape)
			}
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

// optData is contiguousData, or nil for a nil tensor.
func optData[T any](t *Tensor) []T {
	if t == nil {
		return nil
	}
	return contiguousData[T](t)
}

// convForward computes the convolution of x (N, C, H, W) with w (O, Cg, kH,
// kW) plus b (O, may be nil) into a new (N, O, oh, ow) slice.
func convForward[T float](x, w, b []T, g convGeom) []T {
	cg, og := g.c/g.groups, g.o/g.groups
	k, p := cg*g.kh*g.kw, g.oh*g.ow
	// A recycled output is not zeroed up front: each sample's rows are
	// zeroed by the thread that computes them, while they are in its cache.
	out, zeroed := allocFloatsReport[T](g.n * g.o * p)
	parallelBatches(g.n, g.o*k*p, func(n0, n1 int) {
		cols := make([]T, k*p)
		for n := n0; n < n1; n++ {
			for grp := 0; grp < g.groups; grp++ {
				checkInterrupt()
				xs := x[(n*g.c+grp*cg)*g.h*g.w:]
				im2col(cols, xs, cg, g)
				dst := out[(n*g.o+grp*og)*p : (n*g.o+(grp+1)*og)*p]
				if !zeroed {
					clear(dst)
				}
				gemm(dst, w, matView{off: grp * og * k, rs: k, cs: 1}, cols, matView{rs: p, cs: 1}, og, k, p)
				if b != nil {
					for oc := 0; oc < og; oc++ {
						bv := b[grp*og+oc]
						row := dst[oc*p : (oc+1)*p]
						for i := range row {
							row[i] += bv
						}
					}
				}
			}
		}
	})
	return out
}

// convBackward returns the gradients of x, w and b (nil where not needed)
// given the output gradient gout (N, O, oh, ow).
func convBackward[T float](x, w, gout []T, g convGeom, needX, needW, needB bool) (gx, gw, gb []T) {
	cg, og := g.c/g.groups, g.o/g.groups
	k, p := cg*g.kh*g.kw, g.oh*g.ow
	if needB {
		acc := make([]float64, g.o)
		// Channels in parallel: each one's sum keeps its order.
		parallelFor(g.o, max(2, (1<<17)/max(g.n*p, 1)), 1, func(o0, o1 int) {
			for oc := o0; oc < o1; oc++ {
				for n := 0; n < g.n; n++ {
					acc[oc] += sum4F64(gout[(n*g.o+oc)*p : (n*g.o+oc+1)*p])
				}
			}
		})
		gb = make([]T, g.o)
		for i, v := range acc {
			gb[i] = T(v)
		}
	}
	if !needX && !needW {
		return gx, gw, gb
	}
	var wt []T // per group, the weights transposed to (k, og)
	var gxZeroed bool
	if needX {
		// A recycled buffer is not zeroed up front: each sample's planes
		// are zeroed just before col2im adds into them.
		gx, gxZeroed = allocFloatsReport[T](g.n * g.c * g.h * g.w)
		wt = make([]T, len(w))
		for grp := 0; grp < g.groups; grp++ {
			src, dst := w[grp*og*k:], wt[grp*og*k:]
			for oc := 0; oc < og; oc++ {
				for i := 0; i < k; i++ {
					dst[i*og+oc] = src[oc*k+i]
				}
			}
		}
	}
	var mu sync.Mutex
	if needW {
		gw = make([]T, len(w))
	}
	parallelBatches(g.n, 2*g.o*k*p, func(n0, n1 int) {
		cols := make([]T, k*p)
		var partial, tmp []T
		if needW {
			partial, tmp = make([]T, len(w)), make([]T, og*k)
		}
		for n := n0; n < n1; n++ {
			for grp := 0; grp < g.groups; grp++ {
				checkInterrupt()
				gview := matView{off: (n*g.o + grp*og) * p, rs: p, cs: 1}
				if needW {
					im2col(cols, x[(n*g.c+grp*cg)*g.h*g.w:], cg, g)
					clear(tmp)
					// (og × p) · colsᵀ (p × k)
					gemm(tmp, gout, gview, cols, matView{rs: 1, cs: p}, og, p, k)
					dst := partial[grp*og*k : (grp+1)*og*k]
					for i, v := range tmp {
						dst[i] += v
					}
				}
				if needX {
					clear(cols)
					// wᵀ (k × og) · gout (og × p)
					gemm(cols, wt, matView{off: grp * og * k, rs: og, cs: 1}, gout, gview, k, og, p)
					planes := gx[(n*g.c+grp*cg)*g.h*g.w : (n*g.c+(grp+1)*cg)*g.h*g.w]
					if !gxZeroed {
						clear(planes)
					}
					col2im(planes, cols, cg, g)
				}
			}
		}
		if needW {
			mu.Lock()
			for i, v := range partial {
				gw[i] += v
			}
			mu.Unlock()
		}
	})
	return gx, gw, gb
}

// sum4F64 sums s in float64 with four independent running sums (lanes
// i mod 4), added pairwise at the end: the same accuracy as one running
// sum, without its chain of dependent additions.
func sum4F64[T float](s []T) float64 {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		q := s[i : i+4 : i+4]
		a0 += float64(q[0])
		a1 += float64(q[1])
		a2 += float64(q[2])
		a3 += float64(q[3])
	}
	for ; i < len(s); i++ {
		a0 += float64(s[i])
	}
	return (a0 + a1) + (a2 + a3)
}

// convRange returns the output positions [lo, hi) of a kernel tap whose input
// position is start + i·stride, that fall inside [0, size).
func convRange(start, stride, size, count int) (lo, hi int) {
	if start < 0 {
		lo = (-start + stride - 1) / stride
	}
	if last := size - 1 - start; last < 0 {
		hi = 0
	} else {
		hi = min(count, last/stride+1)
	}
	return lo, max(lo, hi)
}

// im2col unfolds cg channels of x (each h×w, starting at x[0]) into cols
// (cg·kh·kw rows of oh·ow), writing zeros for padding.
func im2col[T float](cols, x []T, cg int, g convGeom) {
	p := g.oh * g.ow
	// With stride 1 and the output as wide as the input ("same" padding),
	// a tap's rows are one shifted copy of the plane but for the columns
	// that fall into the padding: one copy, then those columns zeroed.
	whole := g.sh == 1 && g.sw == 1 && g.ow == g.w
	for c := 0; c < cg; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.kh; ki++ {
			for kj := 0; kj < g.kw; kj++ {
				row := cols[((c*g.kh+ki)*g.kw+kj)*p:][:p]
				x0 := kj*g.dw - g.pw
				lo, hi := convRange(x0, g.sw, g.w, g.ow)
				if whole {
					im2colShifted(row, plane, ki*g.dh-g.ph, x0, lo, hi, g)
					continue
				}
				for oy := 0; oy < g.oh; oy++ {
					dst := row[oy*g.ow : (oy+1)*g.ow]
					iy := oy*g.sh - g.ph + ki*g.dh
					if iy < 0 || iy >= g.h {
						clear(dst)
						continue
					}
					src := plane[iy*g.w : (iy+1)*g.w]
					clear(dst[:lo])
					clear(dst[hi:])
					if g.sw == 1 {
						copy(dst[lo:hi], src[x0+lo:x0+hi])
					} else {
						for ox := lo; ox < hi; ox++ {
							dst[ox] = src[x0+ox*g.sw]
						}
					}
				}
			}
		}
	}
}

// im2colShifted fills one tap's row of im2col when the stride is 1 and
// the output is as wide as the input: dst[oy·w + ox] = plane[(oy+dy)·w +
// ox + x0], zero where that lies outside the plane (ox outside [lo, hi),
// or row oy+dy outside it).
func im2colShifted[T float](row, plane []T, dy, x0, lo, hi int, g convGeom) {
	w := g.w
	oy0, oy1 := max(0, -dy), min(g.oh, g.h-dy) // rows whose input row exists
	if oy0 >= oy1 || lo >= hi {
		clear(row)
		return
	}
	clear(row[:oy0*w])
	clear(row[oy1*w:])
	// One copy from the first valid value to the last; the values it
	// brought into the padding columns come from neighbouring rows and
	// are zeroed after.
	start, end := oy0*w+lo, (oy1-1)*w+hi
	off := dy*w + x0
	copy(row[start:end], plane[start+off:end+off])
	zeroPaddingColumns(row, oy0, oy1, w, lo, hi)
}

// col2im adds the columns back onto the cg channels of x: the adjoint of
// im2col. cols is scratch: the stride-1 "same" path zeroes the values that
// fall into the padding, then adds each tap's rows in one vector pass.
func col2im[T float](x, cols []T, cg int, g convGeom) {
	p := g.oh * g.ow
	whole := g.sh == 1 && g.sw == 1 && g.ow == g.w
	for c := 0; c < cg; c++ {
		plane := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for ki := 0; ki < g.kh; ki++ {
			for kj := 0; kj < g.kw; kj++ {
				row := cols[((c*g.kh+ki)*g.kw+kj)*p:][:p]
				x0 := kj*g.dw - g.pw
				lo, hi := convRange(x0, g.sw, g.w, g.ow)
				if whole {
					col2imShifted(plane, row, ki*g.dh-g.ph, x0, lo, hi, g)
					continue
				}
				for oy := 0; oy < g.oh; oy++ {
					iy := oy*g.sh - g.ph + ki*g.dh
					if iy < 0 || iy >= g.h {
						continue
					}
					src := row[oy*g.ow : (oy+1)*g.ow]
					dst := plane[iy*g.w : (iy+1)*g.w]
					if g.sw == 1 {
						d := dst[x0+lo : x0+hi]
						for i, v := range src[lo:hi] {
							d[i] += v
						}
					} else {
						for ox := lo; ox < hi; ox++ {
							dst[x0+ox*g.sw] += src[ox]
						}
					}
				}
			}
		}
	}
}

// col2imShifted adds one tap's row back when the stride is 1 and the
// output is as wide as the input (im2colShifted's adjoint): the values
// that fall into the padding columns are zeroed in row, so that the rows
// of the tap are added to the plane in one pass (adding zero changes
// nothing but the sign of a zero gradient).
func col2imShifted[T float](plane, row []T, dy, x0, lo, hi int, g convGeom) {
	w := g.w
	oy0, oy1 := max(0, -dy), min(g.oh, g.h-dy)
	if oy0 >= oy1 || lo >= hi {
		return
	}
	zeroPaddingColumns(row, oy0, oy1, w, lo, hi)
	start, end := oy0*w+lo, (oy1-1)*w+hi
	off := dy*w + x0
	addInto(plane[start+off:end+off], row[start:end])
}

// zeroPaddingColumns zeroes, in rows oy0..oy1 of a tap's row (w wide),
// the columns outside [lo, hi): those whose input lies in the padding.
func zeroPaddingColumns[T float](row []T, oy0, oy1, w, lo, hi int) {
	for oy := oy0; oy < oy1; oy++ {
		r := row[oy*w : (oy+1)*w]
		clear(r[:lo])
		clear(r[hi:])
	}
}

// addInto adds src to dst elementwise with the vector kernels.
func addInto[T float](dst, src []T) {
	switch d := any(dst).(type) {
	case []float32:
		binRow(&kern32, binAdd, d, d, 0, 1, any(src).([]float32), 0, 1)
	case []float64:
		binRow(&kern64, binAdd, d, d, 0, 1, any(src).([]float64), 0, 1)
	}
}

// parallelBatches calls fn over [0, n) split into contiguous chunks, one per
// worker (parallelFor), when the work (per item) is large enough to be worth
// it. A panic in a worker (an interrupt) is re-raised in the caller.
func parallelBatches(n, perItem int, fn func(n0, n1 int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 || n*perItem < 1<<16 {
		fn(0, n)
		return
	}
	parallelFor(n, 0, ceilDiv(n, workers), fn)
}
