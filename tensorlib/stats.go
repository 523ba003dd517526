package tensorlib

import (
	"fmt"
	"math"
	"strings"
)

// TensorStats summarises a tensor's values for debuggers and traces: the
// minimum, maximum, mean and Euclidean norm of its finite elements, and how
// many elements are NaN or infinite.
type TensorStats struct {
	Shape []int // the tensor's shape
	DType DType // its dtype
	Numel int   // number of elements
	// Min, Max, Mean and Norm are over the finite elements (NaN when there
	// are none); Norm is the square root of their sum of squares.
	Min, Max, Mean, Norm float64
	NaN                  int // number of NaN elements
	PosInf, NegInf       int // number of +Inf and -Inf elements
}

// StatsOf computes t's statistics (in float64, without recording a graph).
func StatsOf(t *Tensor) TensorStats {
	s := TensorStats{Shape: t.Shape(), DType: t.dtype, Numel: t.Numel()}
	var acc statsAcc
	acc.init()
	switch t.dtype {
	case Float32:
		for _, v := range contiguousData[float32](t) {
			acc.add(float64(v))
		}
	case Float64:
		for _, v := range contiguousData[float64](t) {
			acc.add(v)
		}
	default:
		for _, v := range convertTo(t, Float64).([]float64) {
			acc.add(v)
		}
	}
	acc.fill(&s)
	return s
}

// statsAcc accumulates TensorStats over values.
type statsAcc struct {
	min, max, sum, sumSq  float64
	finite, nan, pos, neg int
}

func (a *statsAcc) init() { a.min, a.max = math.Inf(1), math.Inf(-1) }

func (a *statsAcc) add(v float64) {
	switch {
	case v != v:
		a.nan++
	case math.IsInf(v, 1):
		a.pos++
	case math.IsInf(v, -1):
		a.neg++
	default:
		a.finite++
		a.sum += v
		a.sumSq += v * v
		a.min = min(a.min, v)
		a.max = max(a.max, v)
	}
}

func (a *statsAcc) fill(s *TensorStats) {
	s.NaN, s.PosInf, s.NegInf = a.nan, a.pos, a.neg
	if a.finite == 0 {
		s.Min, s.Max, s.Mean, s.Norm = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return
	}
	s.Min, s.Max = a.min, a.max
	s.Mean = a.sum / float64(a.finite)
	s.Norm = math.Sqrt(a.sumSq)
}

// Inf returns the number of infinite elements (of either sign).
func (s TensorStats) Inf() int { return s.PosInf + s.NegInf }

// Finite reports whether every element is finite.
func (s TensorStats) Finite() bool { return s.NaN == 0 && s.Inf() == 0 }

// String renders the statistics on one line:
// "[4, 1] float32 min -0.5 max 1.25 mean 0.3 norm 1.7 nan 1 inf 2"
// (the NaN and Inf counts only when non-zero).
func (s TensorStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", shapeString(s.Shape), dtypeName(s.DType))
	if s.Numel > 0 {
		fmt.Fprintf(&b, " min %s max %s mean %s norm %s", fmtStat(s.Min), fmtStat(s.Max), fmtStat(s.Mean), fmtStat(s.Norm))
	}
	if s.NaN > 0 {
		fmt.Fprintf(&b, " nan %d", s.NaN)
	}
	if s.Inf() > 0 {
		fmt.Fprintf(&b, " inf %d", s.Inf())
	}
	return b.String()
}

// dtypeName is the dtype's short name: "float32".
func dtypeName(d DType) string { return strings.TrimPrefix(d.String(), "torch.") }

// fmtStat formats a statistic compactly with 4 significant digits.
func fmtStat(v float64) string { return fmt.Sprintf("%.4g", v) }

// nonFiniteCounts returns the numbers of NaN and infinite elements of a
// floating-point tensor (zeros for other dtypes).
func nonFiniteCounts(t *Tensor) (nan, inf int) {
	switch t.dtype {
	case Float32:
		for _, v := range contiguousData[float32](t) {
			if v != v {
				nan++
			} else if v > math.MaxFloat32 || v < -math.MaxFloat32 {
				inf++
			}
		}
	case Float64:
		for _, v := range contiguousData[float64](t) {
			if v != v {
				nan++
			} else if math.IsInf(v, 0) {
				inf++
			}
		}
	}
	return nan, inf
}

// describeNonFinite renders counts as "2 NaN and 1 Inf values".
func describeNonFinite(nan, inf int) string {
	var parts []string
	if nan > 0 {
		parts = append(parts, fmt.Sprintf("%d NaN", nan))
	}
	if inf > 0 {
		parts = append(parts, fmt.Sprintf("%d Inf", inf))
	}
	noun := " values"
	if nan+inf == 1 {
		noun = " value"
	}
	return strings.Join(parts, " and ") + noun
}
