package tensorlib

import "math"

// Unary elementwise ops and their gradients.

// unaryOp applies k to t and, when t requires grad, records name with a
// backward built by grad(g, out).
func unaryOp(name, op string, t *Tensor, k unaryKernel, saveInput, saveOutput bool, grad func(g, out *Tensor) *Tensor) *Tensor {
	out := applyUnary(op, t, k)
	if needsGrad(t) {
		var saved []*Tensor
		if saveInput {
			saved = append(saved, t)
		}
		if saveOutput {
			saved = append(saved, out)
		}
		record(out, name, []*Tensor{t}, saved, func(g *Tensor) []*Tensor {
			return []*Tensor{grad(g, out).To(t.dtype)}
		})
	}
	return out
}

// Neg returns -t.
func (t *Tensor) Neg() *Tensor {
	if t.dtype == Bool {
		unsupported("Neg", t)
	}
	return unaryOp("NegBackward0", "Neg", t, unaryKernel{
		op:  unNeg,
		f64: func(x float64) float64 { return -x },
		f32: func(x float32) float32 { return -x },
		i64: func(x int64) int64 { return -x },
	}, false, false, func(g, _ *Tensor) *Tensor { return g.Neg() })
}

// Abs returns |t|.
func (t *Tensor) Abs() *Tensor {
	return unaryOp("AbsBackward0", "Abs", t, unaryKernel{
		op:  unAbs,
		f64: math.Abs,
		f32: func(x float32) float32 { return float32(math.Abs(float64(x))) },
		i64: func(x int64) int64 {
			if x < 0 {
				return -x
			}
			return x
		},
	}, true, false, func(g, _ *Tensor) *Tensor { return g.Mul(t.Sign()) })
}

// Sign returns -1, 0 or 1 by the sign of each element (0 for NaN, as
// PyTorch does; Bool tensors are returned as a copy). Its gradient is zero.
func (t *Tensor) Sign() *Tensor {
	if t.dtype == Bool {
		return t.Clone()
	}
	return unaryOp("SignBackward0", "Sign", t, unaryKernel{
		f64: func(x float64) float64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		},
		i64: func(x int64) int64 {
			switch {
			case x > 0:
				return 1
			case x < 0:
				return -1
			}
			return 0
		},
	}, false, false, func(g, _ *Tensor) *Tensor { return ZerosLike(g) })
}

// Exp returns e^t.
func (t *Tensor) Exp() *Tensor {
	return unaryOp("ExpBackward0", "Exp", t, unaryKernel{op: unExp, f64: math.Exp}, false, true,
		func(g, out *Tensor) *Tensor { return g.Mul(out) })
}

// Log returns the natural logarithm of t.
func (t *Tensor) Log() *Tensor {
	return unaryOp("LogBackward0", "Log", t, unaryKernel{op: unLog, f64: math.Log}, true, false,
		func(g, _ *Tensor) *Tensor { return g.Div(t) })
}

// Sqrt returns the square root of t.
func (t *Tensor) Sqrt() *Tensor {
	return unaryOp("SqrtBackward0", "Sqrt", t, unaryKernel{op: unSqrt, f64: math.Sqrt}, false, true,
		func(g, out *Tensor) *Tensor { return g.Div(out.MulScalar(2)) })
}

// Rsqrt returns 1/sqrt(t).
func (t *Tensor) Rsqrt() *Tensor {
	return unaryOp("RsqrtBackward0", "Rsqrt", t, unaryKernel{op: unRsqrt, f64: func(x float64) float64 { return 1 / math.Sqrt(x) }}, false, true,
		func(g, out *Tensor) *Tensor { return g.Mul(out.Pow(3)).MulScalar(-0.5) })
}

// Sin returns the sine of t.
func (t *Tensor) Sin() *Tensor {
	return unaryOp("SinBackward0", "Sin", t, unaryKernel{f64: math.Sin}, true, false,
		func(g, _ *Tensor) *Tensor { return g.Mul(t.Cos()) })
}

// Cos returns the cosine of t.
func (t *Tensor) Cos() *Tensor {
	return unaryOp("CosBackward0", "Cos", t, unaryKernel{f64: math.Cos}, true, false,
		func(g, _ *Tensor) *Tensor { return g.Mul(t.Sin()).Neg() })
}

// Tanh returns the hyperbolic tangent of t.
func (t *Tensor) Tanh() *Tensor {
	return unaryOp("TanhBackward0", "Tanh", t, unaryKernel{op: unTanh, f64: math.Tanh}, false, true,
		func(g, out *Tensor) *Tensor {
			return fusedGrad("TanhBackward", g, out, binTanhGrad, func() *Tensor { return g.Mul(out.Mul(out).Neg().AddScalar(1)) })
		})
}

// fusedGrad computes an activation's gradient from the output gradient g
// and the activation's output with the one-pass kernel op when both are
// floating point (giving the composition's results), and with the
// composition otherwise.
func fusedGrad(name string, g, out *Tensor, op binOp, composed func() *Tensor) *Tensor {
	dt := ResultType(g, out)
	if !dt.IsFloat() || !g.dtype.IsFloat() {
		return composed()
	}
	return applyBinary(name, g, out, dt, binaryKernel{op: op})
}

// sigmoid is the logistic function, stable for large |x|.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Sigmoid returns 1/(1+e^-t).
func (t *Tensor) Sigmoid() *Tensor {
	return unaryOp("SigmoidBackward0", "Sigmoid", t, unaryKernel{op: unSigmoid, f64: sigmoid}, false, true,
		func(g, out *Tensor) *Tensor {
			return fusedGrad("SigmoidBackward", g, out, binSigmoidGrad, func() *Tensor { return g.Mul(out.Mul(out.Neg().AddScalar(1))) })
		})
}

// ReLU returns max(t, 0).
func (t *Tensor) ReLU() *Tensor {
	if t.dtype == Bool {
		unsupported("ReLU", t)
	}
	return unaryOp("ReluBackward0", "ReLU", t, unaryKernel{
		op: unReLU,
		f64: func(x float64) float64 {
			if x > 0 || x != x {
				return x
			}
			return 0
		},
		i64: func(x int64) int64 { return max(x, 0) },
	}, false, true, func(g, out *Tensor) *Tensor {
		return fusedGrad("ReluBackward", g, out, binReluGrad, func() *Tensor { return g.Mul(out.GtScalar(0)) })
	})
}

// GELU returns the Gaussian error linear unit x·Φ(x) (exact, erf form).
func (t *Tensor) GELU() *Tensor {
	return unaryOp("GeluBackward0", "GELU", t, unaryKernel{op: unGELU, f64: gelu}, true, false, func(g, _ *Tensor) *Tensor {
		d := applyUnary("GELU", t, unaryKernel{f64: func(x float64) float64 {
			cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
			pdf := math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
			return cdf + x*pdf
		}})
		return g.Mul(d)
	})
}

// Clamp limits every element to [lo, hi]; use math.Inf(-1) or math.Inf(1)
// for a missing bound. Integer tensors stay integer when both bounds are
// integral.
func (t *Tensor) Clamp(lo, hi float64) *Tensor {
	if t.dtype == Bool {
		unsupported("Clamp", t)
	}
	src := t
	if t.dtype == Int64 && (lo != math.Trunc(lo) && !math.IsInf(lo, 0) || hi != math.Trunc(hi) && !math.IsInf(hi, 0)) {
		src = t.castForKernel(Float32)
	}
	clamp := func(x float64) float64 {
		if x != x {
			return x
		}
		return math.Min(math.Max(x, lo), hi)
	}
	k := unaryKernel{f64: clamp}
	if src.dtype == Int64 {
		k.i64 = func(x int64) int64 { return int64(clamp(float64(x))) }
	}
	out := applyUnary("Clamp", src, k)
	if needsGrad(t) {
		record(out, "ClampBackward1", []*Tensor{t}, []*Tensor{t}, func(g *Tensor) []*Tensor {
			mask := t.GeScalar(lo).LogicalAnd(t.LeScalar(hi))
			return []*Tensor{g.Mul(mask)}
		})
	}
	return out
}

var (
	eqKernel = compareKernel{
		op:  cmpEq,
		f32: func(a, b float32) bool { return a == b }, f64: func(a, b float64) bool { return a == b },
		i64: func(a, b int64) bool { return a == b }, b: func(a, b bool) bool { return a == b },
	}
	neKernel = compareKernel{
		op:  cmpNe,
		f32: func(a, b float32) bool { return a != b }, f64: func(a, b float64) bool { return a != b },
		i64: func(a, b int64) bool { return a != b }, b: func(a, b bool) bool { return a != b },
	}
	ltKernel = compareKernel{
		op:  cmpLt,
		f32: func(a, b float32) bool { return a < b }, f64: func(a, b float64) bool { return a < b },
		i64: func(a, b int64) bool { return a < b }, b: func(a, b bool) bool { return !a && b },
	}
	leKernel = compareKernel{
		op:  cmpLe,
		f32: func(a, b float32) bool { return a <= b }, f64: func(a, b float64) bool { return a <= b },
		i64: func(a, b int64) bool { return a <= b }, b: func(a, b bool) bool { return !a || b },
	}
	gtKernel = compareKernel{
		op:  cmpGt,
		f32: func(a, b float32) bool { return a > b }, f64: func(a, b float64) bool { return a > b },
		i64: func(a, b int64) bool { return a > b }, b: func(a, b bool) bool { return a && !b },
	}
	geKernel = compareKernel{
		op:  cmpGe,
		f32: func(a, b float32) bool { return a >= b }, f64: func(a, b float64) bool { return a >= b },
		i64: func(a, b int64) bool { return a >= b }, b: func(a, b bool) bool { return a || !b },
	}
)

// compareScalar compares t with the Go scalar s.
func compareScalar(op string, t *Tensor, s float64, k compareKernel) *Tensor {
	dt := scalarResultType(t, s)
	return applyCompare(op, t.castForKernel(dt), scalarTensor(s, dt), k)
}

// Eq returns a == b elementwise as a Bool tensor.
func (a *Tensor) Eq(b *Tensor) *Tensor { return applyCompare("Eq", a, b, eqKernel) }

// Ne returns a != b elementwise.
func (a *Tensor) Ne(b *Tensor) *Tensor { return applyCompare("Ne", a, b, neKernel) }

// Lt returns a < b elementwise.
func (a *Tensor) Lt(b *Tensor) *Tensor { return applyCompare("Lt", a, b, ltKernel) }

// Le returns a <= b elementwise.
func (a *Tensor) Le(b *Tensor) *Tensor { return applyCompare("Le", a, b, leKernel) }

// Gt returns a > b elementwise.
func (a *Tensor) Gt(b *Tensor) *Tensor { return applyCompare("Gt", a, b, gtKernel) }

// Ge returns a >= b elementwise.
func (a *Tensor) Ge(b *Tensor) *Tensor { return applyCompare("Ge", a, b, geKernel) }

// EqScalar returns t == s elementwise.
func (t *Tensor) EqScalar(s float64) *Tensor { return compareScalar("Eq", t, s, eqKernel) }

// NeScalar returns t != s elementwise.
func (t *Tensor) NeScalar(s float64) *Tensor { return compareScalar("Ne", t, s, neKernel) }

// LtScalar returns t < s elementwise.
func (t *Tensor) LtScalar(s float64) *Tensor { return compareScalar("Lt", t, s, ltKernel) }

// LeScalar returns t <= s elementwise.
func (t *Tensor) LeScalar(s float64) *Tensor { return compareScalar("Le", t, s, leKernel) }

// GtScalar returns t > s elementwise.
func (t *Tensor) GtScalar(s float64) *Tensor { return compareScalar("Gt", t, s, gtKernel) }

// GeScalar returns t >= s elementwise.
func (t *Tensor) GeScalar(s float64) *Tensor { return compareScalar("Ge", t, s, geKernel) }

// LogicalAnd returns a && b elementwise (non-zero is true) as Bool.
func (a *Tensor) LogicalAnd(b *Tensor) *Tensor {
	return applyBinary("LogicalAnd", a.castForKernel(Bool), b.castForKernel(Bool), Bool, binaryKernel{b: func(x, y bool) bool { return x && y }})
}

// LogicalOr returns a || b elementwise as Bool.
func (a *Tensor) LogicalOr(b *Tensor) *Tensor {
	return applyBinary("LogicalOr", a.castForKernel(Bool), b.castForKernel(Bool), Bool, binaryKernel{b: func(x, y bool) bool { return x || y }})
}

// LogicalXor returns a != b (as booleans) elementwise as Bool.
func (a *Tensor) LogicalXor(b *Tensor) *Tensor {
	return applyBinary("LogicalXor", a.castForKernel(Bool), b.castForKernel(Bool), Bool, binaryKernel{b: func(x, y bool) bool { return x != y }})
}

// LogicalNot returns !t elementwise as Bool.
func (t *Tensor) LogicalNot() *Tensor {
	src := t.castForKernel(Bool)
	out := newTensor(Bool, t.shape)
	mapUnary(dataOf[bool](out), dataOf[bool](src), src.shape, src.strides, src.offset, func(x bool) bool { return !x })
	return out
}

// IsNaN returns a Bool tensor marking NaN elements.
func (t *Tensor) IsNaN() *Tensor { return t.Ne(t) }

// IsFinite returns a Bool tensor marking elements that are neither NaN nor ±Inf.
func (t *Tensor) IsFinite() *Tensor {
	if !t.dtype.IsFloat() {
		return FullLike(t, 1).castForKernel(Bool)
	}
	return t.Sub(t).EqScalar(0)
}

// Where returns x where cond is true and y elsewhere, broadcasting all three.
func Where(cond, x, y *Tensor) *Tensor {
	if cond.dtype != Bool {
		failShapes("Where", [][]int{cond.shape}, "condition must be a bool tensor, got %v", cond.dtype)
	}
	dt := ResultType(x, y)
	shape := broadcastShapes("Where", broadcastShapes("Where", cond.shape, x.shape), y.shape)
	cd := contiguousData[bool](cond.Expand(shape...))
	xv := x.castForKernel(dt).Expand(shape...)
	yv := y.castForKernel(dt).Expand(shape...)
	out := newTensor(dt, shape)
	switch dt {
	case Float32:
		whereKernel(dataOf[float32](out), cd, contiguousData[float32](xv), contiguousData[float32](yv))
	case Float64:
		whereKernel(dataOf[float64](out), cd, contiguousData[float64](xv), contiguousData[float64](yv))
	case Int64:
		whereKernel(dataOf[int64](out), cd, contiguousData[int64](xv), contiguousData[int64](yv))
	case Bool:
		whereKernel(dataOf[bool](out), cd, contiguousData[bool](xv), contiguousData[bool](yv))
	}
	if needsGrad(x, y) {
		record(out, "WhereBackward0", []*Tensor{x, y}, []*Tensor{cond}, func(g *Tensor) []*Tensor {
			z := ZerosLike(g)
			return []*Tensor{gradFor(Where(cond, g, z), x), gradFor(Where(cond, z, g), y)}
		})
	}
	return out
}

func whereKernel[T any](out []T, c []bool, x, y []T) {
	for i := range out {
		if c[i] {
			out[i] = x[i]
		} else {
			out[i] = y[i]
		}
	}
}
