package nn

import (
	"fmt"
	"math"
	"sort"

	tl "github.com/gotensor/gt/tensorlib"
)

// Embedding is a lookup table of NumEmbeddings vectors of size
// EmbeddingDim (torch.nn.Embedding): Forward maps Int64 indices of any
// shape to their rows of Weight.
type Embedding struct {
	Weight *tl.Tensor // (num_embeddings, embedding_dim)
	// PaddingIdx, when set, is a row (in [0, num_embeddings)) that receives
	// no gradient; NewEmbedding initialises it to zeros.
	PaddingIdx *int `gt:"-"`
	// MaxNorm, when positive, renormalises in place (under NoGrad) each
	// looked-up row whose NormType-norm exceeds it, as PyTorch does.
	MaxNorm float64
	// NormType is the p of the p-norm for MaxNorm; 0 means 2.
	NormType float64
	// ScaleGradByFreq divides each row's gradient by how often the row
	// appears in the batch.
	ScaleGradByFreq bool
}

// EmbeddingOptions are Embedding's optional settings; the zero value is
// PyTorch's default.
type EmbeddingOptions struct {
	// PaddingIdx, when set (nn.Index(i)), is a row that is initialised to
	// zeros and receives no gradient; negative values count from the end.
	PaddingIdx *int
	// MaxNorm, when positive, renormalises looked-up rows whose norm
	// exceeds it (max_norm).
	MaxNorm float64
	// NormType is the p of the norm for MaxNorm; 0 means PyTorch's 2.
	NormType float64
	// ScaleGradByFreq scales gradients by the inverse of the rows'
	// frequency in the batch (scale_grad_by_freq).
	ScaleGradByFreq bool
}

// NewEmbedding returns an Embedding whose weight is drawn from N(0, 1) as
// PyTorch does (with the padding row, if any, then zeroed), consuming the
// default generator in the same order.
func NewEmbedding(numEmbeddings, embeddingDim int, opts ...EmbeddingOptions) *Embedding {
	o := firstOr(opts)
	if numEmbeddings < 0 || embeddingDim < 0 {
		panic(&tl.Error{Op: "NewEmbedding", Msg: fmt.Sprintf("sizes must be non-negative, got %d and %d", numEmbeddings, embeddingDim)})
	}
	e := &Embedding{Weight: tl.New(tl.Float32, numEmbeddings, embeddingDim)}
	e.setOptions(o)
	Normal(e.Weight, 0, 1)
	if e.PaddingIdx != nil {
		tl.NoGrad(func() { e.Weight.Select(0, *e.PaddingIdx).FillInPlace(0) })
	}
	e.Weight.SetRequiresGrad(true)
	return e
}

// NewEmbeddingFromPretrained returns an Embedding holding a copy of weight
// (2-D), like torch.nn.Embedding.from_pretrained. With freeze, as PyTorch's
// default, the weight does not require grad. The padding row is not
// zeroed.
func NewEmbeddingFromPretrained(weight *tl.Tensor, freeze bool, opts ...EmbeddingOptions) *Embedding {
	if weight.Dim() != 2 {
		panic(&tl.Error{Op: "NewEmbeddingFromPretrained", Msg: "embeddings parameter is expected to be 2-dimensional", Shapes: [][]int{weight.Shape()}})
	}
	e := &Embedding{Weight: weight.Detach().Clone()}
	e.setOptions(firstOr(opts))
	e.Weight.SetRequiresGrad(!freeze)
	return e
}

func (e *Embedding) setOptions(o EmbeddingOptions) {
	n := e.Weight.Shape()[0]
	if o.PaddingIdx != nil {
		p := *o.PaddingIdx
		if p < -n || p >= n {
			panic(&tl.Error{Op: "NewEmbedding", Msg: fmt.Sprintf("padding_idx %d must be within num_embeddings %d", p, n)})
		}
		if p < 0 {
			p += n
		}
		e.PaddingIdx = &p
	}
	e.MaxNorm, e.NormType, e.ScaleGradByFreq = o.MaxNorm, o.NormType, o.ScaleGradByFreq
}

// Forward looks up the rows of Weight at the Int64 indices idx, giving a
// tensor of shape idx.Shape() + (embedding_dim). Its graph node is
// EmbeddingBackward0.
func (e *Embedding) Forward(idx *tl.Tensor) *tl.Tensor {
	return EmbeddingF(idx, e.Weight, e.options())
}

func (e *Embedding) options() EmbeddingOptions {
	return EmbeddingOptions{PaddingIdx: e.PaddingIdx, MaxNorm: e.MaxNorm, NormType: e.NormType, ScaleGradByFreq: e.ScaleGradByFreq}
}

// String returns PyTorch's repr of the layer.
func (e *Embedding) String() string {
	s := e.Weight.Shape()
	r := fmt.Sprintf("Embedding(%d, %d", s[0], s[1])
	if e.PaddingIdx != nil {
		r += fmt.Sprintf(", padding_idx=%d", *e.PaddingIdx)
	}
	if e.MaxNorm > 0 {
		r += fmt.Sprintf(", max_norm=%v", e.MaxNorm)
	}
	if e.NormType != 0 && e.NormType != 2 {
		r += fmt.Sprintf(", norm_type=%v", e.NormType)
	}
	if e.ScaleGradByFreq {
		r += ", scale_grad_by_freq=True"
	}
	return r + ")"
}

// EmbeddingF is the functional form of Embedding
// (torch.nn.functional.embedding): the rows of weight at the Int64 indices
// idx. A negative PaddingIdx counts from the end; with MaxNorm the
// looked-up rows of weight are renormalised in place first.
func EmbeddingF(idx, weight *tl.Tensor, opts ...EmbeddingOptions) *tl.Tensor {
	o := firstOr(opts)
	const op = "Embedding"
	if idx.DType() != tl.Int64 {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected an Int64 index tensor, got %v", idx.DType()), Shapes: [][]int{idx.Shape()}})
	}
	if weight.Dim() != 2 {
		panic(&tl.Error{Op: op, Msg: "weight must be 2-D", Shapes: [][]int{weight.Shape()}})
	}
	ws := weight.Shape()
	num, dim := ws[0], ws[1]
	pad := int64(-1)
	if o.PaddingIdx != nil {
		p := *o.PaddingIdx
		if p < -num || p >= num {
			panic(&tl.Error{Op: op, Msg: fmt.Sprintf("padding_idx %d must be within num_embeddings %d", p, num)})
		}
		if p < 0 {
			p += num
		}
		pad = int64(p)
	}
	ids := idx.Int64s()
	for _, i := range ids {
		if i < 0 || i >= int64(num) {
			panic(&tl.Error{Op: op, Msg: fmt.Sprintf("index %d is out of range for %d embeddings", i, num), Shapes: [][]int{idx.Shape(), ws}})
		}
	}
	if o.MaxNorm > 0 {
		embeddingRenorm(weight, ids, o.MaxNorm, o.NormType)
	}
	flat := tl.FromInt64s(ids, len(ids))
	outShape := append(idx.Shape(), dim)
	return tl.Function{
		Name: "EmbeddingBackward0",
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			return in[0].IndexSelect(0, flat).Reshape(outShape...)
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			if in[0].DType() == tl.Float32 {
				return []*tl.Tensor{embeddingBackward[float32](g, ids, num, dim, pad, o.ScaleGradByFreq)}
			}
			return []*tl.Tensor{embeddingBackward[float64](g, ids, num, dim, pad, o.ScaleGradByFreq)}
		},
	}.Apply(weight)
}

// embeddingBackward is PyTorch's embedding_dense_backward on the CPU: each
// looked-up row's gradient is added into its weight row in index order,
// skipping the padding row.
func embeddingBackward[T float](g *tl.Tensor, ids []int64, num, dim int, pad int64, byFreq bool) *tl.Tensor {
	gd := floatsOf[T](g)
	out := make([]T, num*dim)
	var counts map[int64]int
	if byFreq {
		counts = map[int64]int{}
		for _, k := range ids {
			counts[k]++
		}
	}
	for i, k := range ids {
		if k == pad {
			continue
		}
		row, src := out[int(k)*dim:int(k+1)*dim], gd[i*dim:(i+1)*dim]
		if byFreq {
			scale := T(1 / float64(counts[k]))
			for j := range row {
				row[j] = T(float64(src[j])*float64(scale) + float64(row[j]))
			}
			continue
		}
		for j := range row {
			row[j] += src[j]
		}
	}
	return tensorOf(out, []int{num, dim})
}

// embeddingRenorm is PyTorch's embedding_renorm_: every distinct looked-up
// row whose p-norm exceeds maxNorm is scaled by maxNorm/(norm+1e-7).
func embeddingRenorm(weight *tl.Tensor, ids []int64, maxNorm, p float64) {
	if p == 0 {
		p = 2
	}
	sorted := append([]int64{}, ids...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a] < sorted[b] })
	tl.NoGrad(func() {
		for i, k := range sorted {
			if i > 0 && k == sorted[i-1] {
				continue
			}
			row := weight.Select(0, int(k))
			norm := pNorm(row.Float64s(), p)
			if norm > maxNorm {
				row.MulScalarInPlace(maxNorm / (norm + 1e-7))
			}
		}
	})
}

// pNorm is the p-norm of v (max |v| for p = +Inf).
func pNorm(v []float64, p float64) float64 {
	if math.IsInf(p, 1) {
		m := 0.0
		for _, x := range v {
			m = math.Max(m, math.Abs(x))
		}
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Pow(math.Abs(x), p)
	}
	return math.Pow(s, 1/p)
}
