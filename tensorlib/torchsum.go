package tensorlib

// PyTorch 1.13 sums float32 with a cascade of float32 accumulators
// (aten/src/ATen/native/cpu/SumKernel.cpp). Reproducing its order makes sums
// and means, and so printed losses, agree with PyTorch to the last bit rather
// than to the last few bits. The vector width is that of PyTorch's AVX-512
// kernels (16 floats), the build that produced the project's reference
// output; on AVX2 machines PyTorch itself uses 8 lanes and differs from that
// output in the last bits.

const sumLanes = 16 // Vectorized<float>::size() with AVX-512

// ceilLog2 is c10::utils::CeilLog2.
func ceilLog2(x int) int {
	if x <= 2 {
		return 1
	}
	n := 0
	for v := uint64(x - 1); v != 0; v >>= 1 {
		n++
	}
	return n
}

// multiRowSum is SumKernel's multi_row_sum for one lane: a cascade of four
// accumulator levels over size elements at(i).
func multiRowSum(size int, at func(i int) float32) float32 {
	const levels = 4
	levelPower := max(4, ceilLog2(size)/levels)
	levelStep := 1 << levelPower
	levelMask := levelStep - 1
	var acc [levels]float32
	i := 0
	for i+levelStep <= size {
		for j := 0; j < levelStep; j, i = j+1, i+1 {
			acc[0] += at(i)
		}
		for j := 1; j < levels; j++ {
			acc[j] += acc[j-1]
			acc[j-1] = 0
			if i&(levelMask<<(j*levelPower)) != 0 {
				break
			}
		}
	}
	for ; i < size; i++ {
		acc[0] += at(i)
	}
	for j := 1; j < levels; j++ {
		acc[0] += acc[j]
	}
	return acc[0]
}

// rowSum is SumKernel's row_sum for one lane: four interleaved multiRowSums,
// then the leftover elements, then the partial sums in order.
func rowSum(size int, at func(i int) float32) float32 {
	const ilp = 4
	n := size / ilp
	var partial [ilp]float32
	for k := 0; k < ilp; k++ {
		partial[k] = multiRowSum(n, func(i int) float32 { return at(i*ilp + k) })
	}
	for i := n * ilp; i < size; i++ {
		partial[0] += at(i)
	}
	for k := 1; k < ilp; k++ {
		partial[0] += partial[k]
	}
	return partial[0]
}

// torchSumContiguous sums a contiguous float32 row as PyTorch's inner
// reduction does (vectorized_inner_sum when the row has at least one full
// vector, scalar_inner_sum otherwise).
func torchSumContiguous(x []float32) float32 {
	n := len(x)
	if n < sumLanes {
		return rowSum(n, func(i int) float32 { return x[i] })
	}
	vecs := n / sumLanes
	var lanes [sumLanes]float32
	for l := 0; l < sumLanes; l++ {
		lanes[l] = rowSum(vecs, func(i int) float32 { return x[i*sumLanes+l] })
	}
	var acc float32
	for k := vecs * sumLanes; k < n; k++ {
		acc += x[k]
	}
	for _, v := range lanes {
		acc += v
	}
	return acc
}

// torchSumColumns sums a contiguous rows×cols float32 matrix over its rows,
// as PyTorch's outer reductions do (vectorized_outer_sum for at least one
// vector of columns, scalar_outer_sum otherwise): columns in full groups (of
// 32, or of 4 for narrow matrices) use one cascade, the rest row_sum.
func torchSumColumns(x []float32, rows, cols int) []float32 {
	out := make([]float32, cols)
	groups := cols / 4 * 4
	if cols >= sumLanes {
		groups = cols / (4 * sumLanes) * (4 * sumLanes)
	}
	for j := 0; j < cols; j++ {
		at := func(i int) float32 { return x[i*cols+j] }
		if j < groups {
			out[j] = multiRowSum(rows, at)
		} else {
			out[j] = rowSum(rows, at)
		}
	}
	return out
}

// sumFloat32 sums a float32 tensor over the plan's dimensions in PyTorch's
// order: rows of a contiguous tensor whose reduced dimensions are last or
// first are summed as PyTorch sums them; other layouts are made contiguous
// with the reduced dimensions last.
func sumFloat32(t *Tensor, p reducePlan) []float32 {
	if t.IsContiguous() && len(p.dims) > 0 {
		data := dataOf[float32](t)[t.offset : t.offset+t.Numel()]
		lead := p.dims[len(p.dims)-1] == len(p.dims)-1 // reduced dims are 0..k-1
		trail := p.dims[0] == len(t.shape)-len(p.dims) // reduced dims are the last k
		switch {
		case trail || p.rows == 1:
			return sumRows(data, p.rows, p.width)
		case lead:
			return torchSumColumns(data, p.width, p.rows)
		}
	}
	return sumRows(rowsOf[float32](p), p.rows, p.width)
}

func sumRows(data []float32, rows, width int) []float32 {
	out := make([]float32, rows)
	for r := range out {
		if r&1023 == 0 {
			checkInterrupt()
		}
		out[r] = torchSumContiguous(data[r*width : (r+1)*width])
	}
	return out
}
