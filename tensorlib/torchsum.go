package tensorlib

import "runtime"

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

// The fast paths below compute exactly the sums of the lane-by-lane
// reference (torchsum_ref_test.go), in the same order per lane: all lanes
// of a cascade take the same steps, so they run side by side, 64 at a
// time (16 PyTorch lanes × 4 interleaved partial sums), with one vector
// add per step in sumBlock64.

// sumBlock64 adds rows of 64 floats to acc: acc[l] += x[64·i+l] for
// i < steps, in order (assembly where the CPU allows, kernels_amd64.go).
var sumBlock64 = sumBlock64Go

func sumBlock64Go(acc *[64]float32, x []float32, steps int) {
	x = x[:64*steps]
	for i := 0; i < steps; i++ {
		row := (*[64]float32)(x[64*i:])
		for l := range acc {
			acc[l] += row[l]
		}
	}
}

// cascade64 is multiRowSum for 64 lanes side by side: out[l] is the
// cascade sum of x[64·i+l] over i < size.
//
// Its levels make it divisible without changing a single rounding: the
// level-0 accumulator sums blocks of levelStep rows from zero, level 1
// sums levelStep such blocks from zero, level 2 levelStep of those, and
// only level 3 folds everything. So a range of rows starting at a multiple
// of levelStep³ can be summed by another thread, which hands over its
// level-2 sums in order instead of folding them into level 3 (cascadeRows);
// each thread then reads one contiguous part of x.
func cascade64(x []float32, size int) [64]float32 {
	const levels = 4
	levelPower := max(4, ceilLog2(size)/levels)
	group := 1 << (3 * levelPower) // rows per level-2 sum
	var acc [levels][64]float32
	parts := min(runtime.GOMAXPROCS(0), size/group)
	if 64*size < sumSplitMin || parts < 2 {
		cascadeRows(x, 0, size, levelPower, &acc, nil)
	} else {
		// Part p sums the rows [bounds[p], bounds[p+1]); all but the
		// last end on a level-2 boundary.
		bounds := make([]int, parts+1)
		for p := 1; p < parts; p++ {
			bounds[p] = size / group * p / parts * group
		}
		bounds[parts] = size
		accs := make([][levels][64]float32, parts)
		dumps := make([][][64]float32, parts)
		parallelFor(parts, 2, 1, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				if p == 0 {
					cascadeRows(x, bounds[0], bounds[1], levelPower, &accs[0], nil)
				} else {
					cascadeRows(x, bounds[p], bounds[p+1], levelPower, &accs[p], &dumps[p])
				}
			}
		})
		acc = accs[parts-1]
		acc[3] = accs[0][3]
		add := kern32.vv[binAdd]
		for p := 1; p < parts; p++ {
			for _, g := range dumps[p] {
				add(acc[3][:], acc[3][:], g[:])
			}
		}
	}
	for j := 1; j < levels; j++ {
		for l := range acc[0] {
			acc[0][l] += acc[j][l]
		}
	}
	return acc[0]
}

// cascadeRows runs multiRowSum's loop over the rows [r0, r1) of x (rows of
// 64 lanes) with the accumulators acc, r0 being a multiple of
// levelStep³ where acc's levels 0-2 are zero. With dumps set, the level-2
// sums that multiRowSum adds to level 3 are appended to it instead.
func cascadeRows(x []float32, r0, r1, levelPower int, acc *[4][64]float32, dumps *[][64]float32) {
	const levels = 4
	levelStep := 1 << levelPower
	levelMask := levelStep - 1
	add := kern32.vv[binAdd]
	i := r0
	for i+levelStep <= r1 {
		if i&(1<<16-1) < levelStep {
			checkInterrupt()
		}
		sumBlock64(&acc[0], x[64*i:], levelStep)
		i += levelStep
		for j := 1; j < levels; j++ {
			if j == levels-1 && dumps != nil {
				*dumps = append(*dumps, acc[j-1])
			} else {
				add(acc[j][:], acc[j][:], acc[j-1][:])
			}
			acc[j-1] = [64]float32{}
			if i&(levelMask<<(j*levelPower)) != 0 {
				break
			}
		}
	}
	if i < r1 {
		sumBlock64(&acc[0], x[64*i:], r1-i)
	}
}

// sumSplitMin is the length from which one float32 sum is split between
// threads.
const sumSplitMin = 1 << 20

// torchSumContiguous sums a contiguous float32 row as PyTorch's inner
// reduction does (vectorized_inner_sum when the row has at least one full
// vector, scalar_inner_sum otherwise).
func torchSumContiguous(x []float32) float32 {
	n := len(x)
	if n < sumLanes {
		return rowSumStrided(x, 0, 1, n)
	}
	vecs := n / sumLanes
	q := vecs / 4 // the rows of 64 of each interleaved partial sum
	acc64 := cascade64(x[:64*q], q)
	var acc float32
	for k := vecs * sumLanes; k < n; k++ {
		acc += x[k]
	}
	for l := 0; l < sumLanes; l++ {
		p := acc64[l]
		for i := 4 * q; i < vecs; i++ {
			p += x[i*sumLanes+l]
		}
		p += acc64[16+l]
		p += acc64[32+l]
		p += acc64[48+l]
		acc += p
	}
	return acc
}

// multiRowSumStrided is multiRowSum of x[start+i·stride] for i < size.
func multiRowSumStrided(x []float32, start, stride, size int) float32 {
	const levels = 4
	levelPower := max(4, ceilLog2(size)/levels)
	levelStep := 1 << levelPower
	levelMask := levelStep - 1
	var acc [levels]float32
	i := 0
	for i+levelStep <= size {
		for j := 0; j < levelStep; j, i = j+1, i+1 {
			acc[0] += x[start+i*stride]
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
		acc[0] += x[start+i*stride]
	}
	for j := 1; j < levels; j++ {
		acc[0] += acc[j]
	}
	return acc[0]
}

// rowSumStrided is rowSum of x[start+i·stride] for i < size.
func rowSumStrided(x []float32, start, stride, size int) float32 {
	const ilp = 4
	n := size / ilp
	var partial [ilp]float32
	for k := 0; k < ilp; k++ {
		partial[k] = multiRowSumStrided(x, start+k*stride, ilp*stride, n)
	}
	for i := n * ilp; i < size; i++ {
		partial[0] += x[start+i*stride]
	}
	for k := 1; k < ilp; k++ {
		partial[0] += partial[k]
	}
	return partial[0]
}

// torchSumColumns sums a contiguous rows×cols float32 matrix over its rows,
// as PyTorch's outer reductions do (vectorized_outer_sum for at least one
// vector of columns, scalar_outer_sum otherwise): columns in full groups (of
// 64, or of 4 for narrow matrices) use one cascade, the rest row_sum. The
// grouped columns' cascades run side by side, one row at a time.
func torchSumColumns(x []float32, rows, cols int) []float32 {
	out := make([]float32, cols)
	groups := cols / 4 * 4
	if cols >= sumLanes {
		groups = cols / (4 * sumLanes) * (4 * sumLanes)
	}
	if groups > 0 {
		const levels = 4
		levelPower := max(4, ceilLog2(rows)/levels)
		levelStep := 1 << levelPower
		levelMask := levelStep - 1
		var acc [levels][]float32
		acc[0] = out[:groups]
		for j := 1; j < levels; j++ {
			acc[j] = make([]float32, groups)
		}
		add := kern32.vv[binAdd]
		i := 0
		for i+levelStep <= rows {
			checkInterrupt()
			for end := i + levelStep; i < end; i++ {
				add(acc[0], acc[0], x[i*cols:i*cols+groups])
			}
			for j := 1; j < levels; j++ {
				add(acc[j], acc[j], acc[j-1])
				clear(acc[j-1])
				if i&(levelMask<<(j*levelPower)) != 0 {
					break
				}
			}
		}
		for ; i < rows; i++ {
			add(acc[0], acc[0], x[i*cols:i*cols+groups])
		}
		for j := 1; j < levels; j++ {
			add(acc[0], acc[0], acc[j])
		}
	}
	for j := groups; j < cols; j++ {
		out[j] = rowSumStrided(x, j, cols, rows)
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

// sumRows sums each row of a contiguous rows×width matrix, rows in
// parallel when there are many.
func sumRows(data []float32, rows, width int) []float32 {
	out := make([]float32, rows)
	if rows == 1 {
		out[0] = torchSumContiguous(data[:width])
		return out
	}
	chunk := max(1, cheapChunk/max(width, 1))
	parallelFor(rows, max(2, cheapParallelMin/max(width, 1)), chunk, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			out[r] = torchSumContiguous(data[r*width : (r+1)*width])
		}
	})
	return out
}
