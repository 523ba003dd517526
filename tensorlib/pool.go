package tensorlib

import "math"

// 2-D pooling over the last two dimensions of (N, C, H, W) or unbatched
// (C, H, W) inputs. Each of the N·C planes is pooled independently, with
// the window arithmetic of PyTorch 1.13's CPU kernels, so ties, padding and
// ceil mode pick the same elements.

// MaxPoolOptions are the optional settings of MaxPool2d; the zero value is
// PyTorch's default. Sizes hold one value per spatial dimension or a single
// value for both.
type MaxPoolOptions struct {
	Stride   []int // step between windows; default the kernel size
	Padding  []int // implicit -∞ padding on both sides; default 0, at most half the kernel
	Dilation []int // spacing between window elements; default 1
	CeilMode bool  // round the output size up instead of down
}

// AvgPoolOptions are the optional settings of AvgPool2d; the zero value is
// PyTorch's default.
type AvgPoolOptions struct {
	Stride          []int // step between windows; default the kernel size
	Padding         []int // implicit zero padding on both sides; default 0, at most half the kernel
	CeilMode        bool  // round the output size up instead of down
	ExcludePad      bool  // count_include_pad=False: divide by the number of non-padding elements
	DivisorOverride int   // when non-zero, divide every window's sum by this
}

// poolGeom is one pooling's geometry.
type poolGeom struct {
	planes                 int
	h, w                   int
	kh, kw, sh, sw, ph, pw int
	dh, dw                 int
	oh, ow                 int
}

// poolOutSize is pooling_output_shape from ATen.
func poolOutSize(in, k, pad, stride, dil int, ceil bool) int {
	num := in + 2*pad - dil*(k-1) - 1
	if ceil {
		num += stride - 1
	}
	out := floorDiv(num, stride) + 1
	if ceil && (out-1)*stride >= in+pad {
		out--
	}
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// planPool validates x and the window settings and returns the geometry and
// the output shape (x's leading dimensions, then oh, ow).
func planPool(op string, x *Tensor, kernel, stride, padding, dilation []int, ceil bool) (poolGeom, []int) {
	if len(x.shape) != 3 && len(x.shape) != 4 {
		failShapes(op, [][]int{x.shape}, "expected 3D or 4D (batch mode) tensor for input, got %d dimensions", len(x.shape))
	}
	if !x.dtype.IsFloat() {
		unsupported(op, x)
	}
	k := convSize(op, "kernel_size", kernel, 2, 0)
	s := k
	if len(stride) > 0 {
		s = convSize(op, "stride", stride, 2, 1)
	}
	p := convSize(op, "padding", padding, 2, 0)
	d := convSize(op, "dilation", dilation, 2, 1)
	nd := len(x.shape)
	g := poolGeom{h: x.shape[nd-2], w: x.shape[nd-1], kh: k[0], kw: k[1], sh: s[0], sw: s[1], ph: p[0], pw: p[1], dh: d[0], dw: d[1]}
	g.planes = numelOf(x.shape[:nd-2])
	if g.ph > g.kh/2 || g.pw > g.kw/2 {
		failShapes(op, [][]int{x.shape}, "pad should be smaller than or equal to half of kernel size, but got padW = %d, padH = %d, kW = %d, kH = %d", g.pw, g.ph, g.kw, g.kh)
	}
	for _, v := range x.shape[nd-3:] {
		if v == 0 {
			failShapes(op, [][]int{x.shape}, "expected input to have non-zero size for non-batch dimensions")
		}
	}
	g.oh = poolOutSize(g.h, g.kh, g.ph, g.sh, g.dh, ceil)
	g.ow = poolOutSize(g.w, g.kw, g.pw, g.sw, g.dw, ceil)
	if g.oh < 1 || g.ow < 1 || g.h < 1 || g.w < 1 {
		failShapes(op, [][]int{x.shape}, "given input size: (%dx%d). Calculated output size: (%dx%d). Output size is too small", g.h, g.w, g.oh, g.ow)
	}
	shape := append(append([]int{}, x.shape[:nd-2]...), g.oh, g.ow)
	return g, shape
}

func maxPoolOpts(opts []MaxPoolOptions) MaxPoolOptions {
	if len(opts) > 0 {
		return opts[0]
	}
	return MaxPoolOptions{}
}

// MaxPool2d is torch.nn.functional.max_pool2d: the maximum of each kernel
// window (kernel: one size for both dimensions, or (kH, kW)). NaN wins over
// any number. Its grad_fn is MaxPool2DWithIndicesBackward0: the gradient
// flows to the element each window selected.
func MaxPool2d(x *Tensor, kernel []int, opts ...MaxPoolOptions) *Tensor {
	out, _ := maxPool2d("MaxPool2d", x, kernel, maxPoolOpts(opts))
	return out
}

// MaxPool2dWithIndices is MaxPool2d that also returns, for every output
// element, the flat index (h·W + w) within its input plane of the selected
// element, as int64 (max_pool2d with return_indices=True).
func MaxPool2dWithIndices(x *Tensor, kernel []int, opts ...MaxPoolOptions) (out, indices *Tensor) {
	return maxPool2d("MaxPool2dWithIndices", x, kernel, maxPoolOpts(opts))
}

func maxPool2d(op string, x *Tensor, kernel []int, o MaxPoolOptions) (*Tensor, *Tensor) {
	g, shape := planPool(op, x, kernel, o.Stride, o.Padding, o.Dilation, o.CeilMode)
	idx := make([]int64, g.planes*g.oh*g.ow)
	var out *Tensor
	switch x.dtype {
	case Float32:
		out = fromData(Float32, maxPoolForward(contiguousData[float32](x), idx, g), shape)
	default:
		out = fromData(Float64, maxPoolForward(contiguousData[float64](x), idx, g), shape)
	}
	indices := fromData(Int64, idx, shape)
	if needsGrad(x) {
		record(out, "MaxPool2DWithIndicesBackward0", []*Tensor{x}, nil, func(gout *Tensor) []*Tensor {
			var gx any
			switch x.dtype {
			case Float32:
				gx = maxPoolBackward(contiguousData[float32](gout), idx, g)
			default:
				gx = maxPoolBackward(contiguousData[float64](gout), idx, g)
			}
			return []*Tensor{fromData(x.dtype, gx, x.shape)}
		})
	}
	return out, indices
}

func maxPoolForward[T float](x []T, idx []int64, g poolGeom) []T {
	if out, ok := maxPool2x2(x, idx, g); ok {
		return out
	}
	plane, oplane := g.h*g.w, g.oh*g.ow
	out := make([]T, g.planes*oplane)
	parallelBatches(g.planes, oplane*g.kh*g.kw, func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			checkInterrupt()
			in := x[p*plane : (p+1)*plane]
			o, ix := out[p*oplane:(p+1)*oplane], idx[p*oplane:(p+1)*oplane]
			for oy := 0; oy < g.oh; oy++ {
				h0 := oy*g.sh - g.ph
				h1 := min(h0+(g.kh-1)*g.dh+1, g.h)
				for h0 < 0 {
					h0 += g.dh
				}
				for ox := 0; ox < g.ow; ox++ {
					w0 := ox*g.sw - g.pw
					w1 := min(w0+(g.kw-1)*g.dw+1, g.w)
					for w0 < 0 {
						w0 += g.dw
					}
					best := h0*g.w + w0
					bestV := T(math.Inf(-1))
					for ih := h0; ih < h1; ih += g.dh {
						row := ih * g.w
						for iw := w0; iw < w1; iw += g.dw {
							v := in[row+iw]
							if v > bestV || v != v {
								bestV, best = v, row+iw
							}
						}
					}
					o[oy*g.ow+ox] = bestV
					ix[oy*g.ow+ox] = int64(best)
				}
			}
		}
	})
	return out
}

func maxPoolBackward[T float](gout []T, idx []int64, g poolGeom) []T {
	if gx, ok := maxPool2x2Backward(gout, idx, g); ok {
		return gx
	}
	plane, oplane := g.h*g.w, g.oh*g.ow
	gx := make([]T, g.planes*plane)
	for p := 0; p < g.planes; p++ {
		if p&63 == 0 {
			checkInterrupt()
		}
		dst := gx[p*plane : (p+1)*plane]
		src, ix := gout[p*oplane:(p+1)*oplane], idx[p*oplane:(p+1)*oplane]
		for i, v := range src {
			dst[ix[i]] += v
		}
	}
	return gx
}

// AvgPool2d is torch.nn.functional.avg_pool2d: the mean of each kernel
// window (kernel: one size for both dimensions, or (kH, kW)). Padding
// counts as zeros in the divisor unless ExcludePad is set. Its grad_fn is
// AvgPool2DBackward0.
func AvgPool2d(x *Tensor, kernel []int, opts ...AvgPoolOptions) *Tensor {
	const op = "AvgPool2d"
	var o AvgPoolOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.DivisorOverride < 0 {
		fail(op, "divisor must be not zero, got %d", o.DivisorOverride)
	}
	g, shape := planPool(op, x, kernel, o.Stride, o.Padding, nil, o.CeilMode)
	var out *Tensor
	switch x.dtype {
	case Float32:
		out = fromData(Float32, avgPool[float32](contiguousData[float32](x), g, o, false), shape)
	default:
		out = fromData(Float64, avgPool[float64](contiguousData[float64](x), g, o, false), shape)
	}
	if needsGrad(x) {
		record(out, "AvgPool2DBackward0", []*Tensor{x}, nil, func(gout *Tensor) []*Tensor {
			var gx any
			switch x.dtype {
			case Float32:
				gx = avgPool[float32](contiguousData[float32](gout), g, o, true)
			default:
				gx = avgPool[float64](contiguousData[float64](gout), g, o, true)
			}
			return []*Tensor{fromData(x.dtype, gx, x.shape)}
		})
	}
	return out
}

// avgPool computes the forward pass from the input planes, or with backward
// set, the input gradient from the output gradient planes in src.
func avgPool[T float](src []T, g poolGeom, o AvgPoolOptions, backward bool) []T {
	plane, oplane := g.h*g.w, g.oh*g.ow
	var dst []T
	if backward {
		dst = make([]T, g.planes*plane)
	} else {
		dst = make([]T, g.planes*oplane)
	}
	parallelBatches(g.planes, oplane*g.kh*g.kw, func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			checkInterrupt()
			for oy := 0; oy < g.oh; oy++ {
				h0 := oy*g.sh - g.ph
				h1 := min(h0+g.kh, g.h+g.ph)
				for ox := 0; ox < g.ow; ox++ {
					w0 := ox*g.sw - g.pw
					w1 := min(w0+g.kw, g.w+g.pw)
					size := (h1 - h0) * (w1 - w0)
					a0, b0, a1, b1 := max(h0, 0), max(w0, 0), min(h1, g.h), min(w1, g.w)
					if a0 >= a1 || b0 >= b1 {
						continue // the output (or its gradient contribution) is 0
					}
					div := size
					switch {
					case o.DivisorOverride != 0:
						div = o.DivisorOverride
					case o.ExcludePad:
						div = (a1 - a0) * (b1 - b0)
					}
					oi := p*oplane + oy*g.ow + ox
					if backward {
						gv := src[oi] / T(div)
						for ih := a0; ih < a1; ih++ {
							row := dst[p*plane+ih*g.w:]
							for iw := b0; iw < b1; iw++ {
								row[iw] += gv
							}
						}
						continue
					}
					var s T
					for ih := a0; ih < a1; ih++ {
						row := src[p*plane+ih*g.w:]
						for iw := b0; iw < b1; iw++ {
							s += row[iw]
						}
					}
					dst[oi] = s / T(div)
				}
			}
		}
	})
	return dst
}

// AdaptiveAvgPool2d is torch.nn.functional.adaptive_avg_pool2d: the input
// planes are divided into size (one value for both dimensions, or
// (oH, oW)) windows, window i spanning [⌊i·H/oH⌋, ⌈(i+1)·H/oH⌉), and each is
// averaged. Its grad_fn is AdaptiveAvgPool2DBackward0, except for a 1×1
// output, which PyTorch computes as a mean over the last two dimensions
// (MeanBackward1).
func AdaptiveAvgPool2d(x *Tensor, size []int) *Tensor {
	const op = "AdaptiveAvgPool2d"
	if len(x.shape) != 3 && len(x.shape) != 4 {
		failShapes(op, [][]int{x.shape}, "expected 3D or 4D tensor, got %d dimensions", len(x.shape))
	}
	if !x.dtype.IsFloat() {
		unsupported(op, x)
	}
	s := convSize(op, "output_size", size, 2, 0)
	nd := len(x.shape)
	for _, v := range x.shape[nd-3:] {
		if v == 0 {
			failShapes(op, [][]int{x.shape}, "expected input to have non-zero size for non-batch dimensions")
		}
	}
	if s[0] == 1 && s[1] == 1 {
		return x.MeanDims([]int{-1, -2}, true)
	}
	g := poolGeom{h: x.shape[nd-2], w: x.shape[nd-1], oh: s[0], ow: s[1], planes: numelOf(x.shape[:nd-2])}
	shape := append(append([]int{}, x.shape[:nd-2]...), g.oh, g.ow)
	var out *Tensor
	switch x.dtype {
	case Float32:
		out = fromData(Float32, adaptiveAvgPool[float32](contiguousData[float32](x), g, false), shape)
	default:
		out = fromData(Float64, adaptiveAvgPool[float64](contiguousData[float64](x), g, false), shape)
	}
	if needsGrad(x) {
		record(out, "AdaptiveAvgPool2DBackward0", []*Tensor{x}, nil, func(gout *Tensor) []*Tensor {
			var gx any
			switch x.dtype {
			case Float32:
				gx = adaptiveAvgPool[float32](contiguousData[float32](gout), g, true)
			default:
				gx = adaptiveAvgPool[float64](contiguousData[float64](gout), g, true)
			}
			return []*Tensor{fromData(x.dtype, gx, x.shape)}
		})
	}
	return out
}

// adaptiveAvgPool computes the forward pass, or with backward set the input
// gradient from the output gradient in src.
func adaptiveAvgPool[T float](src []T, g poolGeom, backward bool) []T {
	plane, oplane := g.h*g.w, g.oh*g.ow
	var dst []T
	if backward {
		dst = make([]T, g.planes*plane)
	} else {
		dst = make([]T, g.planes*oplane)
	}
	parallelBatches(g.planes, plane+oplane, func(p0, p1 int) {
		for p := p0; p < p1; p++ {
			checkInterrupt()
			for oy := 0; oy < g.oh; oy++ {
				h0, h1 := oy*g.h/g.oh, ((oy+1)*g.h+g.oh-1)/g.oh
				for ox := 0; ox < g.ow; ox++ {
					w0, w1 := ox*g.w/g.ow, ((ox+1)*g.w+g.ow-1)/g.ow
					kh, kw := T(h1-h0), T(w1-w0)
					oi := p*oplane + oy*g.ow + ox
					if backward {
						gv := src[oi] / kh / kw
						for ih := h0; ih < h1; ih++ {
							row := dst[p*plane+ih*g.w:]
							for iw := w0; iw < w1; iw++ {
								row[iw] += gv
							}
						}
						continue
					}
					var s T
					for ih := h0; ih < h1; ih++ {
						row := src[p*plane+ih*g.w:]
						for iw := w0; iw < w1; iw++ {
							s += row[iw]
						}
					}
					dst[oi] = s / kh / kw
				}
			}
		}
	})
	return dst
}
