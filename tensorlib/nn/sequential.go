package nn

import (
	"fmt"
	"reflect"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Sequential chains layers, feeding each one's output to the next
// (torch.nn.Sequential). Its layers are named by position, so its
// parameters are "0.weight", "0.bias", "2.weight", … as in PyTorch.
type Sequential struct {
	Layers []Layer `gt:",inline"`
}

// NewSequential returns a Sequential of the given layers. Construct the
// layers in the argument list, as in PyTorch, so they draw their initial
// values in the same order:
//
//	tl.ManualSeed(0)
//	model := nn.NewSequential(nn.NewLinear(4, 8), nn.ReLU{}, nn.NewLinear(8, 2))
func NewSequential(layers ...Layer) *Sequential {
	for i, l := range layers {
		if l == nil || (reflect.ValueOf(l).Kind() == reflect.Pointer && reflect.ValueOf(l).IsNil()) {
			panic(&tl.Error{Op: "NewSequential", Msg: fmt.Sprintf("layer %d is nil", i)})
		}
	}
	return &Sequential{Layers: append([]Layer{}, layers...)}
}

// Append adds layers at the end and returns s.
func (s *Sequential) Append(layers ...Layer) *Sequential {
	s.Layers = append(s.Layers, layers...)
	return s
}

// Len returns the number of layers.
func (s *Sequential) Len() int { return len(s.Layers) }

// Forward applies the layers in order.
func (s *Sequential) Forward(x *tl.Tensor) *tl.Tensor {
	for _, l := range s.Layers {
		x = l.Forward(x)
	}
	return x
}

// String lists the layers as PyTorch's repr does; layers that are not
// fmt.Stringers are shown by their type name.
func (s *Sequential) String() string {
	if len(s.Layers) == 0 {
		return "Sequential()"
	}
	var b strings.Builder
	b.WriteString("Sequential(\n")
	for i, l := range s.Layers {
		r := layerString(l)
		r = strings.ReplaceAll(r, "\n", "\n  ")
		fmt.Fprintf(&b, "  (%d): %s\n", i, r)
	}
	b.WriteString(")")
	return b.String()
}

// layerString is l's String, or its type name followed by "()".
func layerString(l Layer) string {
	if st, ok := l.(fmt.Stringer); ok {
		return st.String()
	}
	t := reflect.TypeOf(l)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name() + "()"
}

// Flatten reshapes dimensions StartDim through EndDim of its input into one
// (torch.nn.Flatten). The zero value, Flatten{}, is PyTorch's default
// nn.Flatten(): dimensions 1 through the last, keeping the batch dimension.
// Set EndDim as well when setting StartDim (e.g. Flatten{StartDim: 0,
// EndDim: -1}).
type Flatten struct {
	StartDim, EndDim int
}

func (f Flatten) dims() (int, int) {
	if f.StartDim == 0 && f.EndDim == 0 {
		return 1, -1
	}
	return f.StartDim, f.EndDim
}

// Forward applies the layer.
func (f Flatten) Forward(x *tl.Tensor) *tl.Tensor {
	s, e := f.dims()
	return x.Flatten(s, e)
}

// String returns PyTorch's repr of the layer.
func (f Flatten) String() string {
	s, e := f.dims()
	return fmt.Sprintf("Flatten(start_dim=%d, end_dim=%d)", s, e)
}

// Identity returns its input unchanged (torch.nn.Identity).
type Identity struct{}

// Forward returns x.
func (Identity) Forward(x *tl.Tensor) *tl.Tensor { return x }

// String returns PyTorch's repr of the layer.
func (Identity) String() string { return "Identity()" }
