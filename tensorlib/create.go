package tensorlib

import "math"

// checkShape panics when a requested shape has a negative size.
func checkShape(op string, shape []int) {
	for _, s := range shape {
		if s < 0 {
			failShapes(op, [][]int{shape}, "negative dimension %d", s)
		}
	}
}

// New returns a zero-filled tensor of the given dtype and shape.
func New(dtype DType, shape ...int) *Tensor {
	checkShape("New", shape)
	return newTensor(dtype, shape)
}

// Zeros returns a float32 tensor of zeros.
func Zeros(shape ...int) *Tensor { return New(Float32, shape...) }

// Ones returns a float32 tensor of ones.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a float32 tensor filled with value.
func Full(value float64, shape ...int) *Tensor {
	t := New(Float32, shape...)
	t.fill(value)
	return t
}

// Scalar returns a zero-dimensional float32 tensor holding v.
func Scalar(v float64) *Tensor { return Full(v) }

// ZerosLike returns zeros with t's shape and dtype.
func ZerosLike(t *Tensor) *Tensor { return New(t.dtype, t.shape...) }

// OnesLike returns ones with t's shape and dtype.
func OnesLike(t *Tensor) *Tensor { return FullLike(t, 1) }

// FullLike returns a tensor with t's shape and dtype filled with value.
func FullLike(t *Tensor, value float64) *Tensor {
	out := New(t.dtype, t.shape...)
	out.fill(value)
	return out
}

// RandLike returns uniform [0, 1) values with t's shape and (float) dtype.
func RandLike(t *Tensor) *Tensor {
	out := New(floatOr(t.dtype), t.shape...)
	DefaultGenerator().fillUniform(out, 0, 1)
	return out
}

// RandnLike returns standard normal values with t's shape and (float) dtype.
func RandnLike(t *Tensor) *Tensor {
	out := New(floatOr(t.dtype), t.shape...)
	DefaultGenerator().fillNormal(out, 0, 1)
	return out
}

// floatOr returns d when it is a float dtype and Float32 otherwise.
func floatOr(d DType) DType {
	if d.IsFloat() {
		return d
	}
	return Float32
}

// fill sets every element of the (contiguous, fresh) tensor to v.
func (t *Tensor) fill(v float64) {
	switch d := t.st.data.(type) {
	case []float32:
		for i := range d {
			d[i] = float32(v)
		}
	case []float64:
		for i := range d {
			d[i] = v
		}
	case []int64:
		for i := range d {
			d[i] = int64(v)
		}
	case []bool:
		for i := range d {
			d[i] = v != 0
		}
	}
}

// Eye returns the n×n identity matrix, or n×m when m is given (float32).
func Eye(n int, m ...int) *Tensor {
	cols := n
	if len(m) > 0 {
		cols = m[0]
	}
	t := Zeros(n, cols)
	d := dataOf[float32](t)
	for i := 0; i < min(n, cols); i++ {
		d[i*cols+i] = 1
	}
	return t
}

// Arange returns evenly spaced values in [start, end) with the given step,
// like torch.arange: Arange(end), Arange(start, end) or Arange(start, end,
// step). The result is Int64 when every argument is integral, Float32
// otherwise.
func Arange(args ...float64) *Tensor {
	start, end, step := 0.0, 0.0, 1.0
	switch len(args) {
	case 1:
		end = args[0]
	case 2:
		start, end = args[0], args[1]
	case 3:
		start, end, step = args[0], args[1], args[2]
	default:
		fail("Arange", "expected 1 to 3 arguments (end | start, end | start, end, step), got %d", len(args))
	}
	if step == 0 || math.IsNaN(start+end+step) || math.IsInf(start+end+step, 0) {
		fail("Arange", "step must be nonzero and bounds finite (start=%v, end=%v, step=%v)", start, end, step)
	}
	if (end-start)/step < 0 {
		fail("Arange", "upper bound and larger bound inconsistent with step sign")
	}
	n := int(math.Ceil((end - start) / step))
	integral := true
	for _, a := range args {
		if a != math.Trunc(a) {
			integral = false
		}
	}
	if integral {
		t := New(Int64, n)
		d := dataOf[int64](t)
		for i := range d {
			d[i] = int64(start) + int64(i)*int64(step)
		}
		return t
	}
	t := New(Float32, n)
	d := dataOf[float32](t)
	for i := range d {
		d[i] = float32(start + float64(i)*step)
	}
	return t
}

// Linspace returns steps evenly spaced float32 values from start to end
// inclusive, computed as torch.linspace does.
func Linspace(start, end float64, steps int) *Tensor {
	if steps < 0 {
		fail("Linspace", "number of steps must be non-negative, got %d", steps)
	}
	t := New(Float32, steps)
	d := dataOf[float32](t)
	if steps == 1 {
		d[0] = float32(start)
	}
	if steps > 1 {
		s, e := float32(start), float32(end)
		step := (e - s) / float32(steps-1)
		half := steps / 2
		for i := range d {
			if i < half {
				d[i] = s + step*float32(i)
			} else {
				d[i] = e - step*float32(steps-i-1)
			}
		}
	}
	return t
}

// shapeFor returns shape, or a 1-D shape of n elements when shape is empty,
// panicking when the sizes disagree.
func shapeFor(op string, n int, shape []int) []int {
	if len(shape) == 0 {
		return []int{n}
	}
	checkShape(op, shape)
	if numelOf(shape) != n {
		failShapes(op, [][]int{shape}, "shape needs %d elements but %d were given", numelOf(shape), n)
	}
	return shape
}

// FromFloat32s returns a float32 tensor holding a copy of data, with the given
// shape (1-D when omitted).
func FromFloat32s(data []float32, shape ...int) *Tensor {
	return fromData(Float32, append([]float32{}, data...), shapeFor("FromFloat32s", len(data), shape))
}

// FromFloat64s returns a float64 tensor holding a copy of data.
func FromFloat64s(data []float64, shape ...int) *Tensor {
	return fromData(Float64, append([]float64{}, data...), shapeFor("FromFloat64s", len(data), shape))
}

// FromInt64s returns an int64 tensor holding a copy of data.
func FromInt64s(data []int64, shape ...int) *Tensor {
	return fromData(Int64, append([]int64{}, data...), shapeFor("FromInt64s", len(data), shape))
}

// FromInts returns an int64 tensor holding data (a convenience for Go ints).
func FromInts(data []int, shape ...int) *Tensor {
	d := make([]int64, len(data))
	for i, v := range data {
		d[i] = int64(v)
	}
	return fromData(Int64, d, shapeFor("FromInts", len(data), shape))
}

// FromBools returns a bool tensor holding a copy of data.
func FromBools(data []bool, shape ...int) *Tensor {
	return fromData(Bool, append([]bool{}, data...), shapeFor("FromBools", len(data), shape))
}

// Rand returns float32 values uniform on [0, 1) from the default generator.
func Rand(shape ...int) *Tensor { return DefaultGenerator().Rand(shape...) }

// Randn returns float32 standard normal values from the default generator.
func Randn(shape ...int) *Tensor { return DefaultGenerator().Randn(shape...) }

// RandInt returns int64 values uniform on [low, high) from the default
// generator.
func RandInt(low, high int64, shape ...int) *Tensor {
	return DefaultGenerator().RandInt(low, high, shape...)
}

// RandPerm returns a random permutation of 0..n-1 (int64) from the default
// generator.
func RandPerm(n int) *Tensor { return DefaultGenerator().RandPerm(n) }

// Rand returns float32 values uniform on [0, 1) drawn from g.
func (g *Generator) Rand(shape ...int) *Tensor {
	t := New(Float32, shape...)
	g.fillUniform(t, 0, 1)
	return t
}

// Randn returns float32 standard normal values drawn from g.
func (g *Generator) Randn(shape ...int) *Tensor {
	t := New(Float32, shape...)
	g.fillNormal(t, 0, 1)
	return t
}

// RandInt returns int64 values uniform on [low, high) drawn from g.
func (g *Generator) RandInt(low, high int64, shape ...int) *Tensor {
	if high <= low {
		fail("RandInt", "random_ expects 'from' to be less than 'to', but got from=%d >= to=%d", low, high)
	}
	t := New(Int64, shape...)
	g.fillRandInt(dataOf[int64](t), low, high)
	return t
}

// RandPerm returns a random permutation of 0..n-1 (int64) drawn from g.
func (g *Generator) RandPerm(n int) *Tensor {
	if n < 0 {
		fail("RandPerm", "n must be non-negative, got %d", n)
	}
	return fromData(Int64, g.randPerm(n), []int{n})
}

// fillUniform fills the float tensor t (contiguous, fresh) from U[from, to).
func (g *Generator) fillUniform(t *Tensor, from, to float64) {
	switch d := t.st.data.(type) {
	case []float32:
		g.fillUniformFloat32(d[t.offset:t.offset+t.Numel()], from, to)
	case []float64:
		g.fillUniformFloat64(d[t.offset:t.offset+t.Numel()], from, to)
	default:
		fail("Uniform", "expected a floating point tensor, got %v", t.dtype)
	}
}

// fillNormal fills the float tensor t (contiguous, fresh) from N(mean, std²).
func (g *Generator) fillNormal(t *Tensor, mean, std float64) {
	switch d := t.st.data.(type) {
	case []float32:
		g.fillNormalFloat32(d[t.offset:t.offset+t.Numel()], mean, std)
	case []float64:
		g.fillNormalFloat64(d[t.offset:t.offset+t.Numel()], mean, std)
	default:
		fail("Normal", "expected a floating point tensor, got %v", t.dtype)
	}
}
