package nn

import (
	"fmt"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// TransformerEncoderLayer is self-attention followed by a feed-forward
// network, each wrapped in a residual connection and layer normalisation
// (torch.nn.TransformerEncoderLayer). Its fields are named as PyTorch's
// sub-modules, so parameter names (self_attn.in_proj_weight, linear1.weight,
// norm1.weight, …) and their order match.
type TransformerEncoderLayer struct {
	SelfAttn *MultiheadAttention
	Linear1  *Linear
	Dropout  *Dropout
	Linear2  *Linear
	Norm1    *LayerNorm
	Norm2    *LayerNorm
	Dropout1 *Dropout
	Dropout2 *Dropout

	Options TransformerEncoderLayerOptions `gt:"-"`
}

// TransformerEncoderLayerOptions are TransformerEncoderLayer's optional
// settings; the zero value is PyTorch's default.
type TransformerEncoderLayerOptions struct {
	DimFeedforward int     // hidden size of the feed-forward network; default 2048
	Dropout        float64 // dropout probability; 0 means PyTorch's default 0.1 (see NoDropout)
	NoDropout      bool    // dropout=0
	Activation     string  // "relu" (default) or "gelu"
	LayerNormEps   float64 // default 1e-5
	BatchFirst     bool    // inputs are (N, L, E) instead of (L, N, E)
	NormFirst      bool    // normalise before attention and feed-forward instead of after
}

// NewTransformerEncoderLayer returns an encoder layer of width dModel with
// nhead attention heads, constructing (and so initialising) its sub-modules
// in PyTorch's order: self_attn, linear1, dropout, linear2, norm1, norm2.
func NewTransformerEncoderLayer(dModel, nhead int, opts ...TransformerEncoderLayerOptions) *TransformerEncoderLayer {
	var o TransformerEncoderLayerOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.DimFeedforward == 0 {
		o.DimFeedforward = 2048
	}
	switch {
	case o.NoDropout:
		o.Dropout = 0
	case o.Dropout == 0:
		o.Dropout = 0.1
	}
	switch o.Activation {
	case "":
		o.Activation = "relu"
	case "relu", "gelu":
	default:
		panic(&tl.Error{Op: "NewTransformerEncoderLayer", Msg: fmt.Sprintf("activation should be relu/gelu, not %s", o.Activation)})
	}
	l := &TransformerEncoderLayer{Options: o}
	l.SelfAttn = NewMultiheadAttention(dModel, nhead, MultiheadAttentionOptions{Dropout: o.Dropout, BatchFirst: o.BatchFirst})
	l.Linear1 = NewLinear(dModel, o.DimFeedforward)
	l.Dropout = NewDropout(o.Dropout)
	l.Linear2 = NewLinear(o.DimFeedforward, dModel)
	l.Norm1 = NewLayerNorm([]int{dModel}, LayerNormOptions{Eps: o.LayerNormEps})
	l.Norm2 = NewLayerNorm([]int{dModel}, LayerNormOptions{Eps: o.LayerNormEps})
	l.Dropout1 = NewDropout(o.Dropout)
	l.Dropout2 = NewDropout(o.Dropout)
	return l
}

// Forward encodes src, (L, N, E) — (N, L, E) with BatchFirst — or unbatched
// (L, E), without masks.
func (l *TransformerEncoderLayer) Forward(src *tl.Tensor) *tl.Tensor {
	return l.ForwardMasked(src, nil, nil)
}

// ForwardMasked encodes src with an attention mask (L, L) or (N·heads, L, L)
// and a key padding mask (N, L), either of which may be nil; see
// AttentionOptions for their meaning.
func (l *TransformerEncoderLayer) ForwardMasked(src, mask, keyPaddingMask *tl.Tensor) *tl.Tensor {
	x := src
	if l.Options.NormFirst {
		x = x.Add(l.selfAttention(l.Norm1.Forward(x), mask, keyPaddingMask))
		return x.Add(l.feedForward(l.Norm2.Forward(x)))
	}
	x = l.Norm1.Forward(x.Add(l.selfAttention(x, mask, keyPaddingMask)))
	return l.Norm2.Forward(x.Add(l.feedForward(x)))
}

func (l *TransformerEncoderLayer) selfAttention(x, mask, kpm *tl.Tensor) *tl.Tensor {
	out, _ := l.SelfAttn.Forward(x, x, x, AttentionOptions{AttnMask: mask, KeyPaddingMask: kpm, NoWeights: true})
	return l.Dropout1.Forward(out)
}

func (l *TransformerEncoderLayer) feedForward(x *tl.Tensor) *tl.Tensor {
	h := l.Linear1.Forward(x)
	if l.Options.Activation == "gelu" {
		h = h.GELU()
	} else {
		h = h.ReLU()
	}
	return l.Dropout2.Forward(l.Linear2.Forward(l.Dropout.Forward(h)))
}

// String returns PyTorch's repr of the layer.
func (l *TransformerEncoderLayer) String() string {
	var b strings.Builder
	b.WriteString("TransformerEncoderLayer(\n")
	for _, c := range []struct {
		name string
		repr string
	}{
		{"self_attn", l.SelfAttn.String()},
		{"linear1", linearRepr(l.Linear1)},
		{"dropout", layerString(l.Dropout)},
		{"linear2", linearRepr(l.Linear2)},
		{"norm1", layerString(l.Norm1)},
		{"norm2", layerString(l.Norm2)},
		{"dropout1", layerString(l.Dropout1)},
		{"dropout2", layerString(l.Dropout2)},
	} {
		fmt.Fprintf(&b, "  (%s): %s\n", c.name, strings.ReplaceAll(c.repr, "\n", "\n  "))
	}
	b.WriteString(")")
	return b.String()
}

// linearRepr is a Linear's repr, whether or not Linear is a fmt.Stringer.
func linearRepr(l *Linear) string {
	if s, ok := any(l).(fmt.Stringer); ok {
		return s.String()
	}
	w := l.Weight.Shape()
	return fmt.Sprintf("Linear(in_features=%d, out_features=%d, bias=%s)", w[1], w[0], reprBool(l.Bias != nil))
}
