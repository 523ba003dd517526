package nn

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

// Pooling layers have no parameters; a struct literal works as well as the
// constructors: &nn.MaxPool2d{Kernel: []int{2, 3}}.

// MaxPool2d takes the maximum over each kernel window of (N, C, H, W) or
// (C, H, W) inputs (torch.nn.MaxPool2d).
type MaxPool2d struct {
	Kernel  []int             // (kH, kW), or one size for both
	Options tl.MaxPoolOptions // stride (default: the kernel), padding, dilation, ceil mode
}

// NewMaxPool2d returns a MaxPool2d with a kernel×kernel window.
func NewMaxPool2d(kernel int, opts ...tl.MaxPoolOptions) *MaxPool2d {
	m := &MaxPool2d{Kernel: []int{kernel}}
	if len(opts) > 0 {
		m.Options = opts[0]
	}
	return m
}

// Forward pools x.
func (m *MaxPool2d) Forward(x *tl.Tensor) *tl.Tensor {
	return tl.MaxPool2d(x, m.Kernel, m.Options)
}

// ForwardWithIndices pools x and also returns the flat index within its
// input plane of each selected element (return_indices=True).
func (m *MaxPool2d) ForwardWithIndices(x *tl.Tensor) (out, indices *tl.Tensor) {
	return tl.MaxPool2dWithIndices(x, m.Kernel, m.Options)
}

// AvgPool2d averages each kernel window of (N, C, H, W) or (C, H, W)
// inputs (torch.nn.AvgPool2d).
type AvgPool2d struct {
	Kernel  []int             // (kH, kW), or one size for both
	Options tl.AvgPoolOptions // stride (default: the kernel), padding, ceil mode, divisor
}

// NewAvgPool2d returns an AvgPool2d with a kernel×kernel window.
func NewAvgPool2d(kernel int, opts ...tl.AvgPoolOptions) *AvgPool2d {
	m := &AvgPool2d{Kernel: []int{kernel}}
	if len(opts) > 0 {
		m.Options = opts[0]
	}
	return m
}

// Forward pools x.
func (m *AvgPool2d) Forward(x *tl.Tensor) *tl.Tensor {
	return tl.AvgPool2d(x, m.Kernel, m.Options)
}

// AdaptiveAvgPool2d averages (N, C, H, W) or (C, H, W) inputs down to a
// fixed output size whatever the input size (torch.nn.AdaptiveAvgPool2d).
type AdaptiveAvgPool2d struct {
	OutputSize []int // (oH, oW), or one size for both
}

// NewAdaptiveAvgPool2d returns an AdaptiveAvgPool2d producing size×size
// outputs, or oH×oW with two sizes.
func NewAdaptiveAvgPool2d(size ...int) *AdaptiveAvgPool2d {
	return &AdaptiveAvgPool2d{OutputSize: append([]int{}, size...)}
}

// Forward pools x.
func (m *AdaptiveAvgPool2d) Forward(x *tl.Tensor) *tl.Tensor {
	return tl.AdaptiveAvgPool2d(x, m.OutputSize)
}

// pySize formats a size option as PyTorch prints it: one value as an int,
// several as a tuple; def when unset.
func pySize(v []int, def string) string {
	switch len(v) {
	case 0:
		return def
	case 1:
		return fmt.Sprint(v[0])
	}
	return reprTuple(v)
}

// String returns PyTorch's repr of the layer.
func (m *MaxPool2d) String() string {
	o := m.Options
	k := pySize(m.Kernel, "None")
	return fmt.Sprintf("MaxPool2d(kernel_size=%s, stride=%s, padding=%s, dilation=%s, ceil_mode=%s)", k, pySize(o.Stride, k), pySize(o.Padding, "0"), pySize(o.Dilation, "1"), reprBool(o.CeilMode))
}

// String returns PyTorch's repr of the layer.
func (m *AvgPool2d) String() string {
	k := pySize(m.Kernel, "None")
	return fmt.Sprintf("AvgPool2d(kernel_size=%s, stride=%s, padding=%s)", k, pySize(m.Options.Stride, k), pySize(m.Options.Padding, "0"))
}

// String returns PyTorch's repr of the layer.
func (m *AdaptiveAvgPool2d) String() string {
	return fmt.Sprintf("AdaptiveAvgPool2d(output_size=%s)", pySize(m.OutputSize, "None"))
}
