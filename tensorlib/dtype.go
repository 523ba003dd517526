package tensorlib

import "fmt"

// DType is the element type of a tensor.
type DType int

// The supported dtypes. Float32 is the default for floating-point creation.
const (
	Bool DType = iota
	Int64
	Float32
	Float64
)

// String returns PyTorch's name for the dtype, e.g. "torch.float32".
func (d DType) String() string {
	switch d {
	case Bool:
		return "torch.bool"
	case Int64:
		return "torch.int64"
	case Float32:
		return "torch.float32"
	case Float64:
		return "torch.float64"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// IsFloat reports whether the dtype is a floating-point type.
func (d DType) IsFloat() bool { return d == Float32 || d == Float64 }

// ItemSize returns the size of one element in bytes.
func (d DType) ItemSize() int {
	switch d {
	case Bool:
		return 1
	case Float32:
		return 4
	}
	return 8
}

// category orders dtypes as PyTorch's promotion does: bool < integer < float.
func (d DType) category() int {
	switch d {
	case Bool:
		return 0
	case Int64:
		return 1
	}
	return 2
}

// PromoteTypes returns the smallest dtype to which both a and b convert
// without losing their category (PyTorch's torch.promote_types).
func PromoteTypes(a, b DType) DType {
	if a > b {
		return a
	}
	return b
}

// operand describes one participant in dtype promotion.
type operand struct {
	dtype  DType
	zeroD  bool // a zero-dimensional tensor
	scalar bool // a Go scalar (wrapped number)
}

// combineCategories mirrors PyTorch's combine_categories: the higher-priority
// dtype wins unless the lower-priority one is of a higher category.
func combineCategories(higher, lower DType, haveHigher, haveLower bool) (DType, bool) {
	if !haveHigher {
		return lower, haveLower
	}
	if !haveLower {
		return higher, true
	}
	if higher.IsFloat() {
		return higher, true
	}
	if higher == Bool || lower.IsFloat() {
		return PromoteTypes(higher, lower), true
	}
	return higher, true
}

// resultType computes the dtype of an op over the given operands.
func resultType(ops ...operand) DType {
	var dim, zero, wrapped DType
	var haveDim, haveZero, haveWrapped bool
	for _, o := range ops {
		switch {
		case o.scalar:
			d := o.dtype
			if d == Float64 {
				d = Float32 // Go float scalars take the default dtype
			}
			if haveWrapped {
				wrapped = PromoteTypes(wrapped, d)
			} else {
				wrapped, haveWrapped = d, true
			}
		case o.zeroD:
			if haveZero {
				zero = PromoteTypes(zero, o.dtype)
			} else {
				zero, haveZero = o.dtype, true
			}
		default:
			if haveDim {
				dim = PromoteTypes(dim, o.dtype)
			} else {
				dim, haveDim = o.dtype, true
			}
		}
	}
	low, haveLow := combineCategories(zero, wrapped, haveZero, haveWrapped)
	res, _ := combineCategories(dim, low, haveDim, haveLow)
	return res
}

// ResultType returns the dtype PyTorch's type promotion gives an op over the
// tensors ts (see the package documentation for the table).
func ResultType(ts ...*Tensor) DType {
	ops := make([]operand, len(ts))
	for i, t := range ts {
		ops[i] = operand{dtype: t.dtype, zeroD: len(t.shape) == 0}
	}
	return resultType(ops...)
}

// scalarDType is the dtype category of a Go scalar operand.
func scalarDType(v float64) DType {
	if v == float64(int64(v)) {
		return Int64
	}
	return Float64
}
