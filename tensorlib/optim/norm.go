package optim

import "math"

// Vector norms computed as PyTorch 1.13's CPU norm kernel
// (aten/src/ATen/native/cpu/ReduceOpsKernel.cpp) computes them in Debian's
// AVX2 build, so that clip_grad_norm_'s total norm agrees to the bit.

// fma32 returns a·b + c rounded once to float32, as the FMA instructions
// the compiler emits for PyTorch's kernels do.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact: 24-bit × 24-bit significands
	s := p + float64(c)
	r := float32(s)
	if float64(r) == s {
		return r
	}
	// Rounding s instead of the exact sum goes wrong only when s lies
	// exactly halfway between two float32 values: then the sign of the
	// error of p+c decides.
	other := math.Nextafter32(r, float32(math.Inf(1)))
	if s < float64(r) {
		other = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if (float64(r)+float64(other))/2 != s {
		return r
	}
	bp := s - p
	e := (p - (s - bp)) + (float64(c) - bp)
	switch {
	case e > 0:
		return max(r, other)
	case e < 0:
		return min(r, other)
	}
	return r
}

// normLanes is Vectorized<float>::size() in the AVX2 kernels.
const normLanes = 8

// norm2Float32 is the float32 fast path for p = 2 over a contiguous row:
// squares accumulated into 8 lanes with fused multiply-adds, the lanes
// summed in order, then the remaining elements (a block of four unfused,
// as the compiler vectorised it, the rest fused), and a square root.
func norm2Float32(x []float32) float32 {
	var acc [normLanes]float32
	n := len(x) - len(x)%normLanes
	for d := 0; d < n; d += normLanes {
		for j := 0; j < normLanes; j++ {
			acc[j] = fma32(x[d+j], x[d+j], acc[j])
		}
	}
	s := acc[0]
	for j := 1; j < normLanes; j++ {
		s += acc[j]
	}
	rest := x[n:]
	i := 0
	if len(rest) >= 4 {
		for ; i < 4; i++ {
			s += float32(rest[i] * rest[i])
		}
	}
	for ; i < len(rest); i++ {
		s = fma32(rest[i], rest[i], s)
	}
	return float32(math.Sqrt(float64(s)))
}

// normFloat32 is torch.norm(x, p) of float32 values.
func normFloat32(x []float32, p float64) float32 {
	pf := float32(p)
	switch {
	case p == 2:
		return norm2Float32(x)
	case p == 1:
		var acc float32
		for _, v := range x {
			acc += float32(math.Abs(float64(v)))
		}
		return acc
	case p == 0:
		var acc float32
		for _, v := range x {
			if v != 0 {
				acc++
			}
		}
		return acc
	case math.IsInf(p, 1):
		var acc float32
		for _, v := range x {
			a := float32(math.Abs(float64(v)))
			if a > acc || a != a {
				acc = a
			}
			if acc != acc {
				break
			}
		}
		return acc
	case math.IsInf(p, -1):
		acc := float32(math.Inf(1))
		for _, v := range x {
			a := float32(math.Abs(float64(v)))
			if a < acc || a != a {
				acc = a
			}
			if acc != acc {
				break
			}
		}
		return acc
	}
	var acc float32
	for _, v := range x {
		acc += powf(float32(math.Abs(float64(v))), pf)
	}
	return powf(acc, 1/pf)
}

// powf is C's powf, correctly rounded.
func powf(a, b float32) float32 { return float32(math.Pow(float64(a), float64(b))) }

// normFloat64 is torch.norm(x, p) of float64 values (the generic reduction:
// one accumulator in order; squares fused into it).
func normFloat64(x []float64, p float64) float64 {
	switch {
	case p == 2:
		var acc float64
		for _, v := range x {
			acc = math.FMA(v, v, acc)
		}
		return math.Sqrt(acc)
	case p == 1:
		var acc float64
		for _, v := range x {
			acc += math.Abs(v)
		}
		return acc
	case p == 0:
		var acc float64
		for _, v := range x {
			if v != 0 {
				acc++
			}
		}
		return acc
	case math.IsInf(p, 1):
		var acc float64
		for _, v := range x {
			a := math.Abs(v)
			if a > acc || a != a {
				acc = a
			}
			if acc != acc {
				break
			}
		}
		return acc
	case math.IsInf(p, -1):
		acc := math.Inf(1)
		for _, v := range x {
			a := math.Abs(v)
			if a < acc || a != a {
				acc = a
			}
			if acc != acc {
				break
			}
		}
		return acc
	}
	var acc float64
	for _, v := range x {
		acc += math.Pow(math.Abs(v), p)
	}
	return math.Pow(acc, 1/p)
}
