package tensorlib

import (
	"math"
	"sort"
)

// Reductions over dimensions. Each reduction permutes the reduced dimensions
// to the end so every output element reduces one contiguous row.

// reducePlan describes a reduction of t over some dimensions.
type reducePlan struct {
	dims      []int // reduced dimensions, sorted
	outShape  []int // result shape (keepdim applied)
	keptShape []int // result shape with reduced dimensions kept as 1
	rows      int   // number of results
	width     int   // elements reduced into each result
	perm      []int // kept dimensions then reduced ones
	permuted  *Tensor
}

// planReduce prepares reducing t over dims (all dimensions when dims is empty).
func planReduce(op string, t *Tensor, dims []int, keepdim bool) reducePlan {
	nd := len(t.shape)
	red := make([]bool, max(nd, 1))
	if len(dims) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	for _, d := range dims {
		d = t.normDim(op, d)
		if red[d] && len(dims) > 0 {
			failShapes(op, [][]int{t.shape}, "dim %d appears multiple times in the list of dims", d)
		}
		red[d] = true
	}
	p := reducePlan{rows: 1, width: 1}
	var kept, reduced []int
	for i := 0; i < nd; i++ {
		if red[i] {
			reduced = append(reduced, i)
			p.width *= t.shape[i]
			p.keptShape = append(p.keptShape, 1)
			if keepdim {
				p.outShape = append(p.outShape, 1)
			}
		} else {
			kept = append(kept, i)
			p.rows *= t.shape[i]
			p.keptShape = append(p.keptShape, t.shape[i])
			p.outShape = append(p.outShape, t.shape[i])
		}
	}
	sort.Ints(reduced)
	p.dims = reduced
	p.perm = append(kept, reduced...)
	if nd == 0 {
		p.permuted = t
	} else {
		p.permuted = t.Detach().Permute(p.perm...)
	}
	return p
}

// rowsOf returns the plan's input as rows×width contiguous values of type T.
func rowsOf[T any](p reducePlan) []T { return contiguousData[T](p.permuted) }

// reduceFloat reduces each row of a float tensor with f (computed in
// float64), giving a tensor of dtype dt.
func reduceFloat(p reducePlan, dt DType, f func(row []float64) float64) *Tensor {
	var vals []float64
	switch p.permuted.dtype {
	case Float64:
		vals = rowsOf[float64](p)
	default:
		vals = p.permuted.Float64s()
	}
	out := newTensor(dt, p.outShape)
	res := make([]float64, p.rows)
	for r := 0; r < p.rows; r++ {
		if r&1023 == 0 {
			checkInterrupt()
		}
		res[r] = f(vals[r*p.width : (r+1)*p.width])
	}
	switch o := out.st.data.(type) {
	case []float32:
		for i, v := range res {
			o[i] = float32(v)
		}
	case []float64:
		copy(o, res)
	}
	return out
}

// expandGrad broadcasts a reduction's output gradient back to the input shape.
func expandGrad(g *Tensor, p reducePlan, in []int) *Tensor {
	return g.Reshape(p.keptShape...).Expand(in...)
}

// Sum returns the sum of all elements (integer and bool inputs give Int64).
func (t *Tensor) Sum() *Tensor { return t.sumOp("SumBackward0", nil, false) }

// SumDim sums over one dimension, keeping it as size 1 when keepdim is true.
func (t *Tensor) SumDim(dim int, keepdim bool) *Tensor {
	return t.sumOp("SumBackward1", []int{dim}, keepdim)
}

// SumDims sums over the listed dimensions (all when dims is empty).
func (t *Tensor) SumDims(dims []int, keepdim bool) *Tensor {
	return t.sumOp("SumBackward1", dims, keepdim)
}

func (t *Tensor) sumOp(name string, dims []int, keepdim bool) *Tensor {
	p := planReduce("Sum", t, dims, keepdim)
	var out *Tensor
	switch {
	case t.dtype == Float32:
		out = fromData(Float32, sumFloat32(t, p), p.outShape)
	case t.dtype == Float64:
		out = reduceFloat(p, t.dtype, sumRow)
	default:
		vals := p.permuted.Int64s()
		out = newTensor(Int64, p.outShape)
		o := dataOf[int64](out)
		for r := range o {
			var s int64
			for _, v := range vals[r*p.width : (r+1)*p.width] {
				s += v
			}
			o[r] = s
		}
	}
	if needsGrad(t) {
		in := t.shape
		record(out, name, []*Tensor{t}, nil, func(g *Tensor) []*Tensor { return []*Tensor{expandGrad(g, p, in)} })
	}
	return out
}

func sumRow(row []float64) float64 {
	s := 0.0
	for _, v := range row {
		s += v
	}
	return s
}

// Mean returns the mean of all elements of a floating-point tensor.
func (t *Tensor) Mean() *Tensor { return t.meanOp("MeanBackward0", nil, false) }

// MeanDim averages over one dimension.
func (t *Tensor) MeanDim(dim int, keepdim bool) *Tensor {
	return t.meanOp("MeanBackward1", []int{dim}, keepdim)
}

// MeanDims averages over the listed dimensions (all when dims is empty).
func (t *Tensor) MeanDims(dims []int, keepdim bool) *Tensor {
	return t.meanOp("MeanBackward1", dims, keepdim)
}

func (t *Tensor) meanOp(name string, dims []int, keepdim bool) *Tensor {
	if !t.dtype.IsFloat() {
		fail("Mean", "could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: %v", t.dtype)
	}
	p := planReduce("Mean", t, dims, keepdim)
	var out *Tensor
	if t.dtype == Float32 {
		sums := sumFloat32(t, p)
		for i := range sums {
			sums[i] /= float32(p.width)
		}
		out = fromData(Float32, sums, p.outShape)
	} else {
		out = reduceFloat(p, t.dtype, func(row []float64) float64 { return sumRow(row) / float64(len(row)) })
	}
	if needsGrad(t) {
		in := t.shape
		record(out, name, []*Tensor{t}, nil, func(g *Tensor) []*Tensor {
			return []*Tensor{expandGrad(g.DivScalar(float64(p.width)), p, in)}
		})
	}
	return out
}

// Prod returns the product of all elements.
func (t *Tensor) Prod() *Tensor { return t.prodOp("ProdBackward0", nil, false) }

// ProdDim multiplies over one dimension.
func (t *Tensor) ProdDim(dim int, keepdim bool) *Tensor {
	return t.prodOp("ProdBackward1", []int{dim}, keepdim)
}

func (t *Tensor) prodOp(name string, dims []int, keepdim bool) *Tensor {
	src := t
	if !t.dtype.IsFloat() {
		src = t.castForKernel(Int64)
	}
	p := planReduce("Prod", src, dims, keepdim)
	var out *Tensor
	if src.dtype.IsFloat() {
		out = reduceFloat(p, t.dtype, func(row []float64) float64 {
			r := 1.0
			for _, v := range row {
				r *= v
			}
			return r
		})
	} else {
		vals := rowsOf[int64](p)
		out = newTensor(Int64, p.outShape)
		o := dataOf[int64](out)
		for r := range o {
			v := int64(1)
			for _, x := range vals[r*p.width : (r+1)*p.width] {
				v *= x
			}
			o[r] = v
		}
	}
	if needsGrad(t) {
		in := t.shape
		record(out, name, []*Tensor{t}, []*Tensor{t}, func(g *Tensor) []*Tensor {
			return []*Tensor{expandGrad(g, p, in).Mul(productOfOthers(t, p))}
		})
	}
	return out
}

// productOfOthers returns, for each element, the product of the other
// elements of its reduction row (exact with zeros, via prefix and suffix
// products).
func productOfOthers(t *Tensor, p reducePlan) *Tensor {
	vals := p.permuted.Float64s()
	res := make([]float64, len(vals))
	for r := 0; r < p.rows; r++ {
		row, o := vals[r*p.width:(r+1)*p.width], res[r*p.width:(r+1)*p.width]
		acc := 1.0
		for i, v := range row {
			o[i] = acc
			acc *= v
		}
		acc = 1
		for i := len(row) - 1; i >= 0; i-- {
			o[i] *= acc
			acc *= row[i]
		}
	}
	return unpermute(fromData(Float64, res, p.permuted.shape), p.perm).To(t.dtype)
}

// unpermute undoes Permute(perm) on a contiguous tensor.
func unpermute(t *Tensor, perm []int) *Tensor {
	if len(perm) == 0 {
		return t
	}
	inv := make([]int, len(perm))
	for i, d := range perm {
		inv[d] = i
	}
	return t.Permute(inv...).Contiguous()
}

// extremum reduces each row to its max (or min) value and first index,
// propagating NaN as PyTorch does. The values keep the input's dtype
// (Bool inputs are reduced as 0/1 and converted back).
func extremum(p reducePlan, isMax bool, shape []int) (values *Tensor, idx []int64) {
	if p.width == 0 {
		fail("Max", "cannot reduce over a zero-size dimension")
	}
	switch p.permuted.dtype {
	case Float32:
		v, i := extremumRows(rowsOf[float32](p), p.rows, p.width, isMax)
		return fromData(Float32, v, shape), i
	case Float64:
		v, i := extremumRows(rowsOf[float64](p), p.rows, p.width, isMax)
		return fromData(Float64, v, shape), i
	}
	v, i := extremumRows(p.permuted.Int64s(), p.rows, p.width, isMax)
	return fromData(Int64, v, shape).castForKernel(p.permuted.dtype), i
}

// extremumRows reduces each of the rows×width values to its max (or min)
// and the index of its first occurrence; a NaN wins and stops the scan.
func extremumRows[T number](data []T, rows, width int, isMax bool) ([]T, []int64) {
	vals, idx := make([]T, rows), make([]int64, rows)
	parallelFor(rows, max(2, cheapParallelMin/width), max(1, cheapChunk/width), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := data[r*width : (r+1)*width]
			best, bi := row[0], 0
			if isMax {
				for i, v := range row {
					if best != best {
						break
					}
					if v > best || v != v {
						best, bi = v, i
					}
				}
			} else {
				for i, v := range row {
					if best != best {
						break
					}
					if v < best || v != v {
						best, bi = v, i
					}
				}
			}
			vals[r], idx[r] = best, int64(bi)
		}
	})
	return vals, idx
}

// Max returns the largest element (NaN if any element is NaN).
func (t *Tensor) Max() *Tensor { return t.extremumAll("Max", "MaxBackward1", true) }

// Min returns the smallest element.
func (t *Tensor) Min() *Tensor { return t.extremumAll("Min", "MinBackward1", false) }

func (t *Tensor) extremumAll(op, name string, isMax bool) *Tensor {
	if t.Numel() == 0 {
		fail(op, "%s(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument", op)
	}
	p := planReduce(op, t, nil, false)
	out, _ := extremum(p, isMax, nil)
	if needsGrad(t) {
		record(out, name, []*Tensor{t}, []*Tensor{t, out}, func(g *Tensor) []*Tensor {
			mask := t.Eq(out)
			return []*Tensor{mask.To(g.dtype).Mul(g.Div(mask.Sum().To(g.dtype)))}
		})
	}
	return out
}

// MaxDim returns the largest values along dim and their indices (Int64).
func (t *Tensor) MaxDim(dim int, keepdim bool) (values, indices *Tensor) {
	return t.extremumDim("Max", "MaxBackward0", dim, keepdim, true)
}

// MinDim returns the smallest values along dim and their indices (Int64).
func (t *Tensor) MinDim(dim int, keepdim bool) (values, indices *Tensor) {
	return t.extremumDim("Min", "MinBackward0", dim, keepdim, false)
}

func (t *Tensor) extremumDim(op, name string, dim int, keepdim, isMax bool) (*Tensor, *Tensor) {
	p := planReduce(op, t, []int{dim}, keepdim)
	values, idx := extremum(p, isMax, p.outShape)
	indices := fromData(Int64, idx, p.outShape)
	if needsGrad(t) {
		d := t.normDim(op, dim)
		in := t.shape
		record(values, name, []*Tensor{t}, []*Tensor{indices}, func(g *Tensor) []*Tensor {
			z := New(g.dtype, in...)
			return []*Tensor{z.scatterKernel(d, indices.Reshape(p.keptShape...), g.Reshape(p.keptShape...), false)}
		})
	}
	return values, indices
}

// Argmax returns the flat index of the largest element (Int64, 0-dim).
func (t *Tensor) Argmax() *Tensor { return t.Flatten().argDim("Argmax", 0, false, true) }

// Argmin returns the flat index of the smallest element.
func (t *Tensor) Argmin() *Tensor { return t.Flatten().argDim("Argmin", 0, false, false) }

// ArgmaxDim returns the indices of the largest values along dim.
func (t *Tensor) ArgmaxDim(dim int, keepdim bool) *Tensor {
	return t.argDim("Argmax", dim, keepdim, true)
}

// ArgminDim returns the indices of the smallest values along dim.
func (t *Tensor) ArgminDim(dim int, keepdim bool) *Tensor {
	return t.argDim("Argmin", dim, keepdim, false)
}

func (t *Tensor) argDim(op string, dim int, keepdim, isMax bool) *Tensor {
	p := planReduce(op, t.Detach(), []int{dim}, keepdim)
	_, idx := extremum(p, isMax, p.outShape)
	return fromData(Int64, idx, p.outShape)
}

// Var returns the unbiased variance of all elements.
func (t *Tensor) Var() *Tensor { return t.varOp("Var", nil, true, false, false) }

// VarDim returns the variance along dim (unbiased: divide by N-1).
func (t *Tensor) VarDim(dim int, unbiased, keepdim bool) *Tensor {
	return t.varOp("Var", []int{dim}, unbiased, keepdim, false)
}

// VarDims returns the variance over the listed dimensions (all when empty).
func (t *Tensor) VarDims(dims []int, unbiased, keepdim bool) *Tensor {
	return t.varOp("Var", dims, unbiased, keepdim, false)
}

// Std returns the unbiased standard deviation of all elements.
func (t *Tensor) Std() *Tensor { return t.varOp("Std", nil, true, false, true) }

// StdDim returns the standard deviation along dim.
func (t *Tensor) StdDim(dim int, unbiased, keepdim bool) *Tensor {
	return t.varOp("Std", []int{dim}, unbiased, keepdim, true)
}

// StdDims returns the standard deviation over the listed dimensions.
func (t *Tensor) StdDims(dims []int, unbiased, keepdim bool) *Tensor {
	return t.varOp("Std", dims, unbiased, keepdim, true)
}

func (t *Tensor) varOp(op string, dims []int, unbiased, keepdim, sqrt bool) *Tensor {
	if !t.dtype.IsFloat() {
		fail(op, "expected a floating point input, got %v", t.dtype)
	}
	p := planReduce(op, t, dims, keepdim)
	corr := 0.0
	if unbiased {
		corr = 1
	}
	out := reduceFloat(p, t.dtype, func(row []float64) float64 {
		m := sumRow(row) / float64(len(row))
		s := 0.0
		for _, v := range row {
			s += (v - m) * (v - m)
		}
		v := s / math.Max(float64(len(row))-corr, 0)
		if sqrt {
			return math.Sqrt(v)
		}
		return v
	})
	if needsGrad(t) {
		in := t.shape
		denom := float64(p.width) - corr
		saved := []*Tensor{t}
		if sqrt {
			saved = append(saved, out)
		}
		record(out, op+"Backward0", []*Tensor{t}, saved, func(g *Tensor) []*Tensor {
			centered := t.Sub(t.MeanDims(p.dims, true))
			if sqrt {
				// Zero where the deviation is zero, as PyTorch's std_backward.
				gs := g.Div(out.MulScalar(denom)).MaskedFill(out.EqScalar(0), 0)
				return []*Tensor{expandGrad(gs, p, in).Mul(centered)}
			}
			return []*Tensor{expandGrad(g.MulScalar(2/denom), p, in).Mul(centered)}
		})
	}
	return out
}

// LogSumExp returns log(sum(exp(t))) along dim, computed stably.
func (t *Tensor) LogSumExp(dim int, keepdim bool) *Tensor {
	src := t
	if !t.dtype.IsFloat() {
		src = t.castForKernel(Float32)
	}
	p := planReduce("LogSumExp", src, []int{dim}, keepdim)
	out := reduceFloat(p, src.dtype, logSumExpRow)
	if needsGrad(t) {
		in := t.shape
		record(out, "LogsumexpBackward0", []*Tensor{t}, []*Tensor{t, out}, func(g *Tensor) []*Tensor {
			return []*Tensor{expandGrad(g, p, in).Mul(t.Sub(out.Reshape(p.keptShape...)).Exp())}
		})
	}
	return out
}

func logSumExpRow(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	if math.IsInf(m, 0) {
		return m
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// Softmax returns exp(t) normalised to sum to 1 along dim.
func (t *Tensor) Softmax(dim int) *Tensor {
	out := t.softmaxKernel("Softmax", dim, false)
	if needsGrad(t) {
		d := t.normDim("Softmax", dim)
		record(out, "SoftmaxBackward0", []*Tensor{t}, []*Tensor{out}, func(g *Tensor) []*Tensor {
			return []*Tensor{out.Mul(g.Sub(g.Mul(out).SumDim(d, true)))}
		})
	}
	return out
}

// LogSoftmax returns log(Softmax(t, dim)), computed stably.
func (t *Tensor) LogSoftmax(dim int) *Tensor {
	out := t.softmaxKernel("LogSoftmax", dim, true)
	if needsGrad(t) {
		d := t.normDim("LogSoftmax", dim)
		record(out, "LogSoftmaxBackward0", []*Tensor{t}, []*Tensor{out}, func(g *Tensor) []*Tensor {
			return []*Tensor{g.Sub(out.Exp().Mul(g.SumDim(d, true)))}
		})
	}
	return out
}

// softmaxKernel computes (log-)softmax along dim: float32 rows in float32
// with the vectorised exp (sums and logarithms in float64), others in
// float64.
func (t *Tensor) softmaxKernel(op string, dim int, logOut bool) *Tensor {
	src := t
	if !t.dtype.IsFloat() {
		src = t.castForKernel(Float32)
	}
	d := src.normDim(op, dim)
	p := planReduce(op, src, []int{d}, true)
	if src.dtype == Float32 {
		out := allocFloats[float32](p.rows*p.width, false)
		softmaxRowsF32(out, rowsOf[float32](p), p.rows, p.width, logOut)
		return unpermute(fromData(Float32, out, p.permuted.shape), p.perm)
	}
	vals := p.permuted.Float64s()
	for r := 0; r < p.rows; r++ {
		softmaxRow(vals[r*p.width:(r+1)*p.width], logOut)
	}
	return unpermute(fromData(Float64, vals, p.permuted.shape), p.perm).castForKernel(src.dtype)
}

// softmaxRow replaces row by its (log-)softmax, computed in float64.
func softmaxRow(row []float64, logOut bool) {
	lse := logSumExpRow(row)
	for i, v := range row {
		if logOut {
			row[i] = v - lse
		} else {
			row[i] = math.Exp(v - lse)
		}
	}
}

// softmaxRowsF32 computes the (log-)softmax of each row of x into out:
// e = exp(x - max) by the float32 kernel, its sum and logarithm in
// float64, then x - max - log(sum) or e/sum rounded once. Rows whose
// maximum is infinite or NaN take softmaxRow.
func softmaxRowsF32(out, x []float32, rows, width int, logOut bool) {
	if width == 0 {
		return
	}
	exp := kern32.un[unExp]
	sub := kern32.vs[binSub]
	parallelFor(rows, max(2, costlyParallelMin/width), max(1, costlyChunk/width), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, or := x[r*width:(r+1)*width], out[r*width:(r+1)*width]
			m := xr[0]
			for _, v := range xr {
				if v > m || v != v {
					m = v
				}
			}
			if m != m || math.IsInf(float64(m), 0) {
				row := make([]float64, width)
				for i, v := range xr {
					row[i] = float64(v)
				}
				softmaxRow(row, logOut)
				for i, v := range row {
					or[i] = float32(v)
				}
				continue
			}
			sub(or, xr, m)
			exp(or, or)
			s := 0.0
			for _, e := range or {
				s += float64(e)
			}
			if logOut {
				lse := float64(m) + math.Log(s)
				for i, v := range xr {
					or[i] = float32(float64(v) - lse)
				}
			} else {
				for i, e := range or {
					or[i] = float32(float64(e) / s)
				}
			}
		}
	})
}
