package nn

import (
	"fmt"
	"math"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Conv2d is a 2-D convolution over (N, C, H, W) or unbatched (C, H, W)
// inputs (torch.nn.Conv2d).
type Conv2d struct {
	Weight *tl.Tensor // (out, in/groups, kH, kW)
	Bias   *tl.Tensor // (out), nil without bias

	// Options are the stride, padding, dilation and groups used by Forward.
	Options tl.ConvOptions `gt:"-"`
}

// Conv2dOptions are Conv2d's optional settings; the zero value is PyTorch's
// default. Sizes hold one value per spatial dimension, or one for both.
type Conv2dOptions struct {
	KernelSize  []int  // (kH, kW) for a rectangular kernel; overrides the kernel argument
	Stride      []int  // default 1
	Padding     []int  // default 0
	Dilation    []int  // default 1
	Groups      int    // default 1; in and out must be divisible by it
	NoBias      bool   // bias=False
	PaddingMode string // "" or "zeros"; other modes are not supported
}

// Conv1d is a 1-D convolution over (N, C, L) or unbatched (C, L) inputs
// (torch.nn.Conv1d).
type Conv1d struct {
	Weight *tl.Tensor // (out, in/groups, k)
	Bias   *tl.Tensor // (out), nil without bias

	// Options are the stride, padding, dilation and groups used by Forward.
	Options tl.ConvOptions `gt:"-"`
}

// Conv1dOptions are Conv1d's optional settings; the zero value is PyTorch's
// default.
type Conv1dOptions struct {
	Stride      int    // default 1
	Padding     int    // default 0
	Dilation    int    // default 1
	Groups      int    // default 1; in and out must be divisible by it
	NoBias      bool   // bias=False
	PaddingMode string // "" or "zeros"; other modes are not supported
}

// NewConv2d returns a Conv2d with a kernel×kernel kernel (see
// Conv2dOptions.KernelSize for rectangular ones), initialised as PyTorch
// does: weight by kaiming_uniform_(a=√5), then bias uniform on ±1/√fan_in,
// so a seed gives PyTorch's initial values.
func NewConv2d(in, out, kernel int, opts ...Conv2dOptions) *Conv2d {
	var o Conv2dOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	k := []int{kernel, kernel}
	switch len(o.KernelSize) {
	case 0:
	case 1:
		k = []int{o.KernelSize[0], o.KernelSize[0]}
	case 2:
		k = append([]int{}, o.KernelSize...)
	default:
		panic(&tl.Error{Op: "NewConv2d", Msg: "KernelSize must have 1 or 2 values"})
	}
	co := tl.ConvOptions{Stride: o.Stride, Padding: o.Padding, Dilation: o.Dilation, Groups: o.Groups}
	w, b := newConvParams("NewConv2d", in, out, k, co.Groups, o.NoBias, o.PaddingMode)
	return &Conv2d{Weight: w, Bias: b, Options: co}
}

// NewConv1d returns a Conv1d with a kernel of the given size, initialised
// as PyTorch does (see NewConv2d).
func NewConv1d(in, out, kernel int, opts ...Conv1dOptions) *Conv1d {
	var o Conv1dOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	co := tl.ConvOptions{Groups: o.Groups}
	if o.Stride != 0 {
		co.Stride = []int{o.Stride}
	}
	if o.Padding != 0 {
		co.Padding = []int{o.Padding}
	}
	if o.Dilation != 0 {
		co.Dilation = []int{o.Dilation}
	}
	w, b := newConvParams("NewConv1d", in, out, []int{kernel}, co.Groups, o.NoBias, o.PaddingMode)
	return &Conv1d{Weight: w, Bias: b, Options: co}
}

// newConvParams creates and initialises a convolution's weight
// (out, in/groups, kernel…) and bias, as _ConvNd.reset_parameters.
func newConvParams(op string, in, out int, kernel []int, groups int, noBias bool, mode string) (w, b *tl.Tensor) {
	if groups == 0 {
		groups = 1
	}
	switch {
	case mode != "" && mode != "zeros":
		panic(&tl.Error{Op: op, Msg: "padding_mode " + mode + " is not supported (only zeros)"})
	case groups < 0:
		panic(&tl.Error{Op: op, Msg: "groups must be a positive integer"})
	case in%groups != 0:
		panic(&tl.Error{Op: op, Msg: "in_channels must be divisible by groups"})
	case out%groups != 0:
		panic(&tl.Error{Op: op, Msg: "out_channels must be divisible by groups"})
	}
	for _, k := range kernel {
		if k <= 0 {
			panic(&tl.Error{Op: op, Msg: "kernel size must be positive"})
		}
	}
	w = tl.New(tl.Float32, append([]int{out, in / groups}, kernel...)...)
	KaimingUniform(w, math.Sqrt(5))
	w.SetRequiresGrad(true)
	if !noBias {
		fanIn := in / groups
		for _, k := range kernel {
			fanIn *= k
		}
		b = tl.New(tl.Float32, out)
		bound := 0.0
		if fanIn > 0 {
			bound = 1 / math.Sqrt(float64(fanIn))
		}
		Uniform(b, -bound, bound)
		b.SetRequiresGrad(true)
	}
	return w, b
}

// Forward convolves x (N, in, H, W) or (in, H, W).
func (c *Conv2d) Forward(x *tl.Tensor) *tl.Tensor {
	return tl.Conv2d(x, c.Weight, c.Bias, c.Options)
}

// Forward convolves x (N, in, L) or (in, L).
func (c *Conv1d) Forward(x *tl.Tensor) *tl.Tensor {
	return tl.Conv1d(x, c.Weight, c.Bias, c.Options)
}

// String returns PyTorch's repr of the layer.
func (c *Conv2d) String() string { return convRepr("Conv2d", c.Weight, c.Bias, c.Options) }

// String returns PyTorch's repr of the layer.
func (c *Conv1d) String() string { return convRepr("Conv1d", c.Weight, c.Bias, c.Options) }

// convRepr is _ConvNd.extra_repr wrapped in the layer's name.
func convRepr(name string, w, b *tl.Tensor, o tl.ConvOptions) string {
	s := w.Shape()
	nd := len(s) - 2
	groups := max(o.Groups, 1)
	tuple := func(v []int, def int) []int {
		out := make([]int, nd)
		for i := range out {
			switch len(v) {
			case 0:
				out[i] = def
			case 1:
				out[i] = v[0]
			default:
				out[i] = v[i]
			}
		}
		return out
	}
	isAll := func(v []int, x int) bool {
		for _, e := range v {
			if e != x {
				return false
			}
		}
		return true
	}
	r := fmt.Sprintf("%s(%d, %d, kernel_size=%s, stride=%s", name, s[1]*groups, s[0], reprTuple(s[2:]), reprTuple(tuple(o.Stride, 1)))
	if p := tuple(o.Padding, 0); !isAll(p, 0) {
		r += ", padding=" + reprTuple(p)
	}
	if d := tuple(o.Dilation, 1); !isAll(d, 1) {
		r += ", dilation=" + reprTuple(d)
	}
	if groups != 1 {
		r += fmt.Sprintf(", groups=%d", groups)
	}
	if b == nil {
		r += ", bias=False"
	}
	return r + ")"
}

// reprTuple formats sizes as a Python tuple: (3,) or (2, 3).
func reprTuple(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	if len(s) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// reprBool formats b as Python does.
func reprBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
