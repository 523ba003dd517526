package tensorlib

import "gonum.org/v1/gonum/mat"

// ToDense copies a 2-D tensor (or a 1-D one, as a column) into a gonum
// matrix of float64.
func (t *Tensor) ToDense() *mat.Dense {
	switch len(t.shape) {
	case 1:
		return mat.NewDense(t.shape[0], 1, t.Float64s())
	case 2:
		if t.Numel() == 0 {
			failShapes("ToDense", [][]int{t.shape}, "gonum matrices cannot be empty")
		}
		return mat.NewDense(t.shape[0], t.shape[1], t.Float64s())
	}
	failShapes("ToDense", [][]int{t.shape}, "expected a 1-D or 2-D tensor, got %dD", len(t.shape))
	return nil
}

// FromDense copies a gonum matrix into a new 2-D float64 tensor.
func FromDense(m mat.Matrix) *Tensor {
	r, c := m.Dims()
	data := make([]float64, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			data[i*c+j] = m.At(i, j)
		}
	}
	return fromData(Float64, data, []int{r, c})
}
