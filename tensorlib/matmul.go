package tensorlib

import (
	"runtime"
)

// MatMul is torch.matmul: the dot product of two vectors, matrix-vector,
// vector-matrix and matrix-matrix products, and batched products whose batch
// dimensions broadcast. Its backward is two matmuls.
func (a *Tensor) MatMul(b *Tensor) *Tensor {
	if len(a.shape) == 0 || len(b.shape) == 0 {
		failShapes("MatMul", [][]int{a.shape, b.shape}, "both arguments to matmul need to be at least 1D")
	}
	dt := a.dtype
	if dt == Bool || b.dtype == Bool {
		unsupported("MatMul", a, b)
	}
	// Like torch, matmul does not promote: both operands have one dtype.
	if a.dtype != b.dtype {
		if len(a.shape) == 1 && len(b.shape) == 1 {
			failShapes("MatMul", [][]int{a.shape, b.shape}, "dot : expected both vectors to have same dtype, but found %s and %s", scalarTypeName(a.dtype), scalarTypeName(b.dtype))
		}
		failShapes("MatMul", [][]int{a.shape, b.shape}, "expected scalar type %s but found %s", scalarTypeName(a.dtype), scalarTypeName(b.dtype))
	}
	// Promote vectors to matrices: a (k) → (1, k); b (k) → (k, 1).
	a2, b2 := a.Detach(), b.Detach()
	if len(a.shape) == 1 {
		a2 = a2.Unsqueeze(0)
	}
	if len(b.shape) == 1 {
		b2 = b2.Unsqueeze(1)
	}
	n, k := a2.shape[len(a2.shape)-2], a2.shape[len(a2.shape)-1]
	k2, m := b2.shape[len(b2.shape)-2], b2.shape[len(b2.shape)-1]
	if k != k2 {
		failShapes("MatMul", [][]int{a.shape, b.shape}, "mat1 and mat2 shapes cannot be multiplied (%dx%d and %dx%d)", n, k, k2, m)
	}
	batchA, batchB := a2.shape[:len(a2.shape)-2], b2.shape[:len(b2.shape)-2]
	for i := 1; i <= min(len(batchA), len(batchB)); i++ {
		// Checked here so that the error names the operands, not their batch shapes.
		if da, db := batchA[len(batchA)-i], batchB[len(batchB)-i]; da != db && da != 1 && db != 1 {
			failShapes("MatMul", [][]int{a.shape, b.shape}, "the size of tensor a (%d) must match the size of tensor b (%d) at non-singleton dimension %d", da, db, max(len(batchA), len(batchB))-i)
		}
	}
	batch := broadcastShapes("MatMul", batchA, batchB)
	full := append(append([]int{}, batch...), n, m)
	out := batchedMatMul(a2.castForKernel(dt), b2.castForKernel(dt), batch, n, k, m)
	// Remove the dimensions added for vectors.
	shape := append([]int{}, batch...)
	if len(a.shape) > 1 {
		shape = append(shape, n)
	}
	if len(b.shape) > 1 {
		shape = append(shape, m)
	}
	out.shape, out.strides = shape, contiguousStrides(shape)
	if needsGrad(a, b) {
		name := "UnsafeViewBackward0"
		switch {
		case len(a.shape) == 1 && len(b.shape) == 1:
			name = "DotBackward0"
		case len(a.shape) == 2 && len(b.shape) == 1:
			name = "MvBackward0"
		case len(a.shape) == 1 && len(b.shape) == 2:
			name = "SqueezeBackward3"
		case len(a.shape) == 2 && len(b.shape) == 2:
			name = "MmBackward0"
		case len(a.shape) == 2:
			// torch folds b's batch into rows and transposes the product
			// back, copying it unless the transpose is already contiguous.
			name = "CloneBackward0"
			if n == 1 || m == 1 {
				name = "TransposeBackward0"
			}
		}
		record(out, name, []*Tensor{a, b}, savedIf(b.RequiresGrad(), a, a.RequiresGrad(), b), func(g *Tensor) []*Tensor {
			g2 := g.Reshape(full...)
			var ga, gb *Tensor
			if a.RequiresGrad() {
				ga = g2.MatMul(b2.Transpose(-1, -2)).sumTo(a2.shape).Reshape(a.shape...).To(a.dtype)
			}
			if b.RequiresGrad() {
				gb = a2.Transpose(-1, -2).MatMul(g2).sumTo(b2.shape).Reshape(b.shape...).To(b.dtype)
			}
			return []*Tensor{ga, gb}
		})
	}
	return out
}

// batchedMatMul multiplies a (…, n, k) by b (…, k, m) over broadcast batch
// dimensions, returning a contiguous (batch…, n, m) tensor.
func batchedMatMul(a, b *Tensor, batch []int, n, k, m int) *Tensor {
	full := append(append([]int{}, batch...), n, m)
	out := newTensor(a.dtype, full)
	ae := a.Expand(append(append([]int{}, batch...), n, k)...)
	be := b.Expand(append(append([]int{}, batch...), k, m)...)
	nb := numelOf(batch)
	nd := len(batch)
	product := func(i int) {
		aOff, bOff := ae.offset, be.offset
		rem := i
		for d := nd - 1; d >= 0; d-- {
			idx := rem % batch[d]
			rem /= batch[d]
			aOff += idx * ae.strides[d]
			bOff += idx * be.strides[d]
		}
		am := matView{off: aOff, rs: ae.strides[nd], cs: ae.strides[nd+1]}
		bm := matView{off: bOff, rs: be.strides[nd], cs: be.strides[nd+1]}
		cOff := i * n * m
		switch a.dtype {
		case Float32:
			gemm(dataOf[float32](out)[cOff:cOff+n*m], dataOf[float32](a), am, dataOf[float32](b), bm, n, k, m)
		case Float64:
			gemm(dataOf[float64](out)[cOff:cOff+n*m], dataOf[float64](a), am, dataOf[float64](b), bm, n, k, m)
		case Int64:
			gemm(dataOf[int64](out)[cOff:cOff+n*m], dataOf[int64](a), am, dataOf[int64](b), bm, n, k, m)
		}
	}
	// Products too small to be split across threads themselves (attention
	// heads, say) are spread over the threads whole, several per chunk.
	if flops := max(1, n*k*m); nb > 1 && flops < 2*gemmFlopsPerWorker {
		parallelFor(nb, 2*max(1, gemmFlopsPerWorker/flops), max(1, gemmFlopsPerWorker/(4*flops)), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				product(i)
			}
		})
		return out
	}
	for i := 0; i < nb; i++ {
		product(i)
	}
	return out
}

// matView locates a strided matrix in storage: element (i, j) is at
// off + i*rs + j*cs.
type matView struct{ off, rs, cs int }

// gemm computes c (n×m, row-major, zeroed) = A·B for strided A (n×k) and
// B (k×m). Rows of c are split across goroutines for large products. This
// is the portable reference kernel; packed SIMD kernels replace it where
// available.
func gemm[T number](c []T, a []T, am matView, b []T, bm matView, n, k, m int) {
	if n == 1 && m == 1 {
		if c32, ok := any(c).([]float32); ok {
			c32[0] = dotFloat32(any(a).([]float32), am, any(b).([]float32), bm, k)
			return
		}
	}
	if gemmFast(c, a, am, b, bm, n, k, m) {
		return
	}
	// Make B's rows contiguous (or use the dot form when B is transposed).
	if bm.cs != 1 && bm.rs != 1 {
		bc := make([]T, k*m)
		for p := 0; p < k; p++ {
			for j := 0; j < m; j++ {
				bc[p*m+j] = b[bm.off+p*bm.rs+j*bm.cs]
			}
		}
		b, bm = bc, matView{0, m, 1}
	}
	if am.cs != 1 {
		ac := make([]T, n*k)
		for i := 0; i < n; i++ {
			for p := 0; p < k; p++ {
				ac[i*k+p] = a[am.off+i*am.rs+p*am.cs]
			}
		}
		a, am = ac, matView{0, k, 1}
	}
	rowsKernel := func(i0, i1 int) {
		for i := i0; i < i1; i++ {
			if i&15 == 0 {
				checkInterrupt()
			}
			crow := c[i*m : (i+1)*m]
			arow := a[am.off+i*am.rs : am.off+i*am.rs+k]
			if bm.cs == 1 {
				for p, av := range arow {
					if av == 0 {
						continue
					}
					brow := b[bm.off+p*bm.rs : bm.off+p*bm.rs+m]
					for j, bv := range brow {
						crow[j] += av * bv
					}
				}
			} else {
				for j := range crow {
					bcol := b[bm.off+j*bm.cs : bm.off+j*bm.cs+k]
					var s T
					for p, av := range arow {
						s += av * bcol[p]
					}
					crow[j] = s
				}
			}
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if workers <= 1 || n*k*m < 1<<18 || n < 2 {
		rowsKernel(0, n)
		return
	}
	parallelFor(n, 0, ceilDiv(n, workers), rowsKernel)
}

// dotFloat32 is a 1×k by k×1 product: the rounded products summed with four
// interleaved cascades as OpenBLAS's kernels under PyTorch do, so dot-shaped
// gradients (a Linear(1, 1)'s weight) match PyTorch's reference output bit
// for bit.
func dotFloat32(a []float32, am matView, b []float32, bm matView, k int) float32 {
	prod := make([]float32, k)
	for p := range prod {
		prod[p] = a[am.off+p*am.cs] * b[bm.off+p*bm.rs]
	}
	return rowSum(k, func(i int) float32 { return prod[i] })
}

// scalarTypeName is ATen's name of a dtype, as its error messages print it
// ("Float" for float32, "Double" for float64).
func scalarTypeName(d DType) string {
	switch d {
	case Float32:
		return "Float"
	case Float64:
		return "Double"
	case Int64:
		return "Long"
	default:
		return "Bool"
	}
}
