package tensorlib

// Python-style indexing: t.Index(0, tl.S(1, 3), tl.NewAxis, idx) is
// PyTorch's t[0, 1:3, None, idx].

// SliceIndex is a Python slice start:stop:step for Index; build it with S.
type SliceIndex struct{ Start, Stop, Step int }

// S returns the slice start:stop (or start:stop:step). Negative bounds count
// from the end; use End for an open stop.
func S(start, stop int, step ...int) SliceIndex {
	st := 1
	if len(step) > 0 {
		st = step[0]
	}
	return SliceIndex{start, stop, st}
}

// All is the full slice ":".
var All = SliceIndex{0, End, 1}

type newAxis struct{}
type ellipsis struct{}

// NewAxis inserts a size-1 dimension (Python's None).
var NewAxis = newAxis{}

// Ellipsis stands for as many full slices as needed (Python's ...).
var Ellipsis = ellipsis{}

// Index returns t[idx...]. Each index is an int (selects, removing the
// dimension), a SliceIndex from S or All (keeps a view), NewAxis, Ellipsis,
// or a *Tensor: Int64 positions or a Bool mask (advanced indexing, which
// copies). Without tensor indices the result is a view of t.
func (t *Tensor) Index(idx ...any) *Tensor {
	v, adv := t.basicIndex("Index", idx)
	if len(adv) == 0 {
		return v
	}
	return v.advancedIndex(adv)
}

// advIndex is one tensor index at dimension dim of the basic-indexed view.
type advIndex struct {
	dim int
	idx *Tensor
}

// basicIndex applies ints, slices, NewAxis and Ellipsis as views and returns
// the tensor indices left for advanced indexing.
func (t *Tensor) basicIndex(op string, idx []any) (*Tensor, []advIndex) {
	consumed := 0
	ellipses := 0
	for _, x := range idx {
		switch x := x.(type) {
		case int, SliceIndex:
			consumed++
		case *Tensor:
			if x.dtype == Bool {
				consumed += max(len(x.shape), 1)
			} else {
				consumed++
			}
		case ellipsis:
			ellipses++
		case newAxis:
		default:
			fail(op, "unsupported index of type %T (use int, tl.S(...), tl.All, tl.NewAxis, tl.Ellipsis or a *Tensor)", x)
		}
	}
	if ellipses > 1 {
		fail(op, "an index can only have a single ellipsis ('...')")
	}
	if consumed > len(t.shape) {
		failShapes(op, [][]int{t.shape}, "too many indices for tensor of dimension %d", len(t.shape))
	}
	v := t
	d := 0
	var adv []advIndex
	for _, x := range idx {
		switch x := x.(type) {
		case int:
			v = v.Select(d, x)
		case SliceIndex:
			v = v.Slice(d, x.Start, x.Stop, x.Step)
			d++
		case newAxis:
			v = v.Unsqueeze(d)
			d++
		case ellipsis:
			d += len(t.shape) - consumed
		case *Tensor:
			if x.dtype == Bool {
				nd := len(x.shape)
				for k := 0; k < nd; k++ {
					if x.shape[k] != v.shape[d+k] {
						failShapes(op, [][]int{v.shape, x.shape}, "the shape of the mask %s at index %d does not match the shape of the indexed tensor %s", shapeString(x.shape), k, shapeString(v.shape))
					}
				}
				nz := x.Nonzero()
				for k := 0; k < nd; k++ {
					adv = append(adv, advIndex{d + k, nz.Select(1, k)})
				}
				d += nd
				continue
			}
			checkIndexTensor(op, x)
			adv = append(adv, advIndex{d, x})
			d++
		}
	}
	return v, adv
}

// Nonzero returns the indices of non-zero (true) elements as an N×Dim()
// Int64 tensor, in row-major order.
func (t *Tensor) Nonzero() *Tensor {
	vals := t.Bools()
	nd := len(t.shape)
	var out []int64
	coord := make([]int, nd)
	for _, nz := range vals {
		if nz {
			for _, c := range coord {
				out = append(out, int64(c))
			}
		}
		for d := nd - 1; d >= 0; d-- {
			coord[d]++
			if coord[d] < t.shape[d] {
				break
			}
			coord[d] = 0
		}
	}
	return fromData(Int64, out, []int{len(out) / max(nd, 1), nd})
}

// advancedPlan locates the rows an advanced index selects.
type advancedPlan struct {
	perm     []int // advanced dims first, then the others
	flatRows int   // product of the advanced dims' sizes
	rest     []int // sizes of the other dims
	bshape   []int // broadcast shape of the index tensors
	rows     []int64
	front    int // where the broadcast dims go in the result
}

func planAdvanced(op string, v *Tensor, adv []advIndex) advancedPlan {
	var p advancedPlan
	isAdv := make([]bool, len(v.shape))
	for _, a := range adv {
		p.perm = append(p.perm, a.dim)
		isAdv[a.dim] = true
	}
	for d := range v.shape {
		if !isAdv[d] {
			p.perm = append(p.perm, d)
			p.rest = append(p.rest, v.shape[d])
		}
	}
	p.bshape = adv[0].idx.shape
	for _, a := range adv[1:] {
		p.bshape = broadcastShapes(op, p.bshape, a.idx.shape)
	}
	n := numelOf(p.bshape)
	p.rows = make([]int64, n)
	p.flatRows = 1
	for _, a := range adv {
		size := v.shape[a.dim]
		vals := wrapIndices(op, a.idx.Expand(p.bshape...), size, v.shape)
		for i := range p.rows {
			p.rows[i] = p.rows[i]*int64(size) + vals[i]
		}
		p.flatRows *= size
	}
	adjacent := true
	for i := 1; i < len(adv); i++ {
		if adv[i].dim != adv[i-1].dim+1 {
			adjacent = false
		}
	}
	if adjacent {
		p.front = adv[0].dim
	}
	return p
}

// resultPerm moves the broadcast dims from the front to position p.front.
func (p advancedPlan) resultPerm() []int {
	nb, nr := len(p.bshape), len(p.rest)
	perm := make([]int, 0, nb+nr)
	for i := 0; i < p.front; i++ {
		perm = append(perm, nb+i)
	}
	for i := 0; i < nb; i++ {
		perm = append(perm, i)
	}
	for i := p.front; i < nr; i++ {
		perm = append(perm, nb+i)
	}
	return perm
}

// advancedIndex gathers the rows selected by tensor indices (a copy).
func (v *Tensor) advancedIndex(adv []advIndex) *Tensor {
	p := planAdvanced("Index", v, adv)
	flat := v.Detach().Permute(p.perm...).Reshape(append([]int{p.flatRows}, p.rest...)...)
	res := indexSelectKernel(flat, 0, p.rows)
	res = res.Reshape(append(append([]int{}, p.bshape...), p.rest...)...)
	out := res.Permute(p.resultPerm()...).Contiguous()
	out.base = nil
	if needsGrad(v) {
		in := v.shape
		record(out, "IndexBackward0", []*Tensor{v}, nil, func(g *Tensor) []*Tensor {
			gr := unpermute(g.Contiguous(), p.resultPerm()).Reshape(append([]int{len(p.rows)}, p.rest...)...)
			z := New(g.dtype, append([]int{p.flatRows}, p.rest...)...)
			indexAddKernel(z, 0, p.rows, gr)
			permShape := make([]int, len(p.perm))
			for i, d := range p.perm {
				permShape[i] = in[d]
			}
			return []*Tensor{unpermute(z.Reshape(permShape...), p.perm)}
		})
	}
	return out
}

// IndexPut writes value (broadcast) into t[idx...] in place and returns t,
// like PyTorch's t[idx] = value. idx takes the same forms as Index. It is not
// recorded by autograd: with grad mode on, t and value must not require grad
// (use Where or Scatter for differentiable updates).
func (t *Tensor) IndexPut(value *Tensor, idx ...any) *Tensor {
	if gradRequired(t, value) {
		failShapes("IndexPut", [][]int{t.shape, value.shape}, "index assignment is not differentiable; use Where or Scatter, or wrap it in NoGrad")
	}
	v, adv := t.Detach().basicIndex("IndexPut", idx)
	if len(adv) == 0 {
		v.assign(value)
		t.st.version++
		return t
	}
	p := planAdvanced("IndexPut", v, adv)
	res := New(t.dtype, append(append([]int{}, p.bshape...), p.rest...)...)
	res.Permute(p.resultPerm()...).assign(value)
	rows := res.Reshape(append([]int{len(p.rows)}, p.rest...)...)
	target := v.Permute(p.perm...)
	for i, r := range p.rows {
		selectFlatRow(target, len(adv), int(r)).assign(rows.Select(0, i))
	}
	t.st.version++
	return t
}

// selectFlatRow selects, in the first k dims of t, the row with row-major
// flat position r.
func selectFlatRow(t *Tensor, k, r int) *Tensor {
	coords := make([]int, k)
	for d := k - 1; d >= 0; d-- {
		coords[d] = r % t.shape[d]
		r /= t.shape[d]
	}
	v := t
	for _, c := range coords {
		v = v.Select(0, c)
	}
	return v
}
