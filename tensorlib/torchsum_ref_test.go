package tensorlib

// The reference implementations of PyTorch's float32 sums, written lane by
// lane after SumKernel.cpp with the closures of multiRowSum and rowSum:
// the fast paths of torchsum.go must give their results bit for bit.

// torchSumContiguousRef sums a contiguous float32 row as PyTorch's inner
// reduction does (vectorized_inner_sum when the row has at least one full
// vector, scalar_inner_sum otherwise).
func torchSumContiguousRef(x []float32) float32 {
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

// torchSumColumnsRef sums a contiguous rows×cols float32 matrix over its rows,
// as PyTorch's outer reductions do (vectorized_outer_sum for at least one
// vector of columns, scalar_outer_sum otherwise): columns in full groups (of
// 32, or of 4 for narrow matrices) use one cascade, the rest row_sum.
func torchSumColumnsRef(x []float32, rows, cols int) []float32 {
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
