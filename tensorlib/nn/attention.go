package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// MultiheadAttention is scaled dot-product attention over NumHeads heads
// with packed input projections (torch.nn.MultiheadAttention with
// kdim = vdim = embed_dim).
type MultiheadAttention struct {
	InProjWeight *tl.Tensor // (3·embed, embed): the query, key and value projections stacked
	InProjBias   *tl.Tensor // (3·embed), nil without bias
	OutProj      *Linear    // (embed → embed)

	EmbedDim, NumHeads int
	Options            MultiheadAttentionOptions `gt:"-"`
	eval               bool
}

// MultiheadAttentionOptions are MultiheadAttention's optional settings; the
// zero value is PyTorch's default.
type MultiheadAttentionOptions struct {
	Dropout    float64 // dropout on the attention weights in training mode
	NoBias     bool    // bias=False: no in_proj_bias, no out_proj.bias
	BatchFirst bool    // inputs and outputs are (N, L, E) instead of (L, N, E)
}

// AttentionOptions are the optional arguments of one MultiheadAttention call.
type AttentionOptions struct {
	// KeyPaddingMask (N, S), or (S) for unbatched inputs: Bool with true
	// marking keys to ignore, or floating-point values added to the scores.
	KeyPaddingMask *tl.Tensor
	// AttnMask (L, S) or (N·heads, L, S): Bool with true marking pairs
	// that may not attend, or floating-point values added to the scores.
	AttnMask *tl.Tensor
	// NoWeights skips returning the attention weights (need_weights=False).
	NoWeights bool
	// PerHeadWeights returns the weights of every head, (N, heads, L, S),
	// instead of their average, (N, L, S) (average_attn_weights=False).
	PerHeadWeights bool
}

// NewMultiheadAttention returns attention over numHeads heads (which must
// divide embedDim), initialised as PyTorch does: out_proj as a Linear
// (drawing its weight and bias), then in_proj_weight by xavier_uniform_, and
// both biases set to zero.
func NewMultiheadAttention(embedDim, numHeads int, opts ...MultiheadAttentionOptions) *MultiheadAttention {
	var o MultiheadAttentionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if embedDim <= 0 || numHeads <= 0 {
		panic(&tl.Error{Op: "NewMultiheadAttention", Msg: fmt.Sprintf("embed_dim and num_heads must be positive, got %d and %d", embedDim, numHeads)})
	}
	if embedDim%numHeads != 0 {
		panic(&tl.Error{Op: "NewMultiheadAttention", Msg: "embed_dim must be divisible by num_heads"})
	}
	checkDropoutP(o.Dropout)
	m := &MultiheadAttention{EmbedDim: embedDim, NumHeads: numHeads, Options: o}
	m.InProjWeight = tl.New(tl.Float32, 3*embedDim, embedDim)
	if !o.NoBias {
		m.InProjBias = tl.New(tl.Float32, 3*embedDim)
	}
	m.OutProj = NewLinear(embedDim, embedDim, LinearOptions{NoBias: o.NoBias})
	xavierUniform(m.InProjWeight, 1)
	m.InProjWeight.SetRequiresGrad(true)
	if m.InProjBias != nil {
		Constant(m.InProjBias, 0)
		m.InProjBias.SetRequiresGrad(true)
		Constant(m.OutProj.Bias, 0)
	}
	return m
}

// xavierUniform fills t from U(−a, a), a = gain·√(6/(fan_in+fan_out)), as
// torch.nn.init.xavier_uniform_.
func xavierUniform(t *tl.Tensor, gain float64) *tl.Tensor {
	fanIn, fanOut := fans(t)
	a := gain * math.Sqrt(6/float64(fanIn+fanOut))
	return Uniform(t, -a, a)
}

// SetTraining switches dropout on the attention weights on or off (Trainer).
func (m *MultiheadAttention) SetTraining(on bool) { m.eval = !on }

// String returns PyTorch's repr of the layer.
func (m *MultiheadAttention) String() string {
	return fmt.Sprintf("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=%d, out_features=%d, bias=%s)\n)", m.EmbedDim, m.EmbedDim, reprBool(!m.Options.NoBias))
}

// Forward attends from query (L, N, E) to key (S, N, E) and value
// (S, N, E) — (N, L, E) etc. with BatchFirst, or unbatched (L, E) —
// returning the output shaped like query and the attention weights
// (N, L, S), averaged over heads unless PerHeadWeights is set (nil with
// NoWeights). Passing the same tensor as query, key and value
// (self-attention) projects it with one matmul.
func (m *MultiheadAttention) Forward(query, key, value *tl.Tensor, opts ...AttentionOptions) (out, weights *tl.Tensor) {
	const op = "MultiheadAttention"
	var o AttentionOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	shapes := [][]int{query.Shape(), key.Shape(), value.Shape()}
	if query.Dim() != key.Dim() || key.Dim() != value.Dim() || (query.Dim() != 2 && query.Dim() != 3) {
		panic(&tl.Error{Op: op, Msg: "query, key and value must all be 3-D (batched) or all 2-D (unbatched)", Shapes: shapes})
	}
	if !sameInts(key.Shape(), value.Shape()) {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("key shape %v does not match value shape %v", key.Shape(), value.Shape()), Shapes: shapes})
	}
	if query.Size(-1) != m.EmbedDim || key.Size(-1) != m.EmbedDim {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("was expecting embedding dimension of %d, but got %d", m.EmbedDim, query.Size(-1)), Shapes: shapes})
	}
	self := query == key && key == value
	batched := query.Dim() == 3
	kpm := o.KeyPaddingMask
	switch {
	case !batched:
		query, key, value = query.Unsqueeze(1), key.Unsqueeze(1), value.Unsqueeze(1)
		if kpm != nil {
			kpm = kpm.Unsqueeze(0)
		}
	case m.Options.BatchFirst:
		query, key, value = query.Transpose(0, 1), key.Transpose(0, 1), value.Transpose(0, 1)
	}
	tgt, bsz, e := query.Size(0), query.Size(1), m.EmbedDim
	src := key.Size(0)
	if key.Size(1) != bsz {
		panic(&tl.Error{Op: op, Msg: "query and key must have the same batch size", Shapes: shapes})
	}
	heads, hd := m.NumHeads, e/m.NumHeads

	// Input projections.
	var q, k, v *tl.Tensor
	if self {
		proj := linearF(query, m.InProjWeight, m.InProjBias).Chunk(3, -1)
		q, k, v = proj[0], proj[1], proj[2]
	} else {
		ws := m.InProjWeight.Chunk(3, 0)
		bs := []*tl.Tensor{nil, nil, nil}
		if m.InProjBias != nil {
			bs = m.InProjBias.Chunk(3, 0)
		}
		q, k, v = linearF(query, ws[0], bs[0]), linearF(key, ws[1], bs[1]), linearF(value, ws[2], bs[2])
	}
	q = q.Contiguous().View(tgt, bsz*heads, hd).Transpose(0, 1)
	k = k.Contiguous().View(src, bsz*heads, hd).Transpose(0, 1)
	v = v.Contiguous().View(src, bsz*heads, hd).Transpose(0, 1)

	mask := m.attentionMask(o.AttnMask, kpm, q.DType(), tgt, src, bsz)
	scores := q.DivScalar(math.Sqrt(float64(hd))).MatMul(k.Transpose(-2, -1))
	if mask != nil {
		scores = mask.Add(scores)
	}
	attn := scores.Softmax(-1)
	if !m.eval && m.Options.Dropout > 0 {
		attn = DropoutF(attn, m.Options.Dropout, true)
	}
	out = attn.MatMul(v).Transpose(0, 1).Contiguous().View(tgt*bsz, e)
	out = m.OutProj.Forward(out).View(tgt, bsz, e)
	if !o.NoWeights {
		weights = attn.View(bsz, heads, tgt, src)
		if !o.PerHeadWeights {
			weights = weights.SumDim(1, false).DivScalar(float64(heads))
		}
	}
	switch {
	case !batched:
		out = out.Squeeze(1)
		if weights != nil {
			weights = weights.Squeeze(0)
		}
	case m.Options.BatchFirst:
		out = out.Transpose(0, 1)
	}
	return out, weights
}

// attentionMask merges the attention and key padding masks into one
// additive floating-point mask broadcastable to (N·heads, L, S), or nil.
func (m *MultiheadAttention) attentionMask(attnMask, kpm *tl.Tensor, dt tl.DType, tgt, src, bsz int) *tl.Tensor {
	const op = "MultiheadAttention"
	additive := func(mask *tl.Tensor, what string) *tl.Tensor {
		switch {
		case mask.DType() == tl.Bool:
			return tl.New(dt, mask.Shape()...).MaskedFill(mask, math.Inf(-1))
		case mask.DType().IsFloat():
			return mask
		}
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("only bool and floating types of %s are supported, got %v", what, mask.DType()), Shapes: [][]int{mask.Shape()}})
	}
	var mask *tl.Tensor
	if attnMask != nil {
		switch {
		case attnMask.Dim() == 2 && attnMask.Size(0) == tgt && attnMask.Size(1) == src:
			mask = additive(attnMask, "attn_mask").Unsqueeze(0)
		case attnMask.Dim() == 3 && sameInts(attnMask.Shape(), []int{bsz * m.NumHeads, tgt, src}):
			mask = additive(attnMask, "attn_mask")
		default:
			panic(&tl.Error{Op: op, Msg: fmt.Sprintf("the shape of attn_mask is %v, but should be %v or %v", attnMask.Shape(), []int{tgt, src}, []int{bsz * m.NumHeads, tgt, src}), Shapes: [][]int{attnMask.Shape()}})
		}
	}
	if kpm != nil {
		if !sameInts(kpm.Shape(), []int{bsz, src}) {
			panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expecting key_padding_mask shape of %v, but got %v", []int{bsz, src}, kpm.Shape()), Shapes: [][]int{kpm.Shape()}})
		}
		km := additive(kpm, "key_padding_mask").View(bsz, 1, 1, src).Expand(bsz, m.NumHeads, 1, src).Reshape(bsz*m.NumHeads, 1, src)
		if mask == nil {
			mask = km
		} else {
			mask = mask.Add(km)
		}
	}
	return mask
}

// linearF is x·wᵀ + b (b may be nil).
func linearF(x, w, b *tl.Tensor) *tl.Tensor {
	y := x.MatMul(w.T())
	if b != nil {
		y = y.Add(b)
	}
	return y
}
