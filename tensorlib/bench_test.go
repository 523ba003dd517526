package tensorlib_test

import (
	"fmt"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// Benchmarks of the hot kernels. Run with
//
//	go test ./tensorlib/ -run '^$' -bench . -benchtime 1s
//
// MatMul reports GFLOP/s (2·n³ flops per product); elementwise ops and
// reductions report throughput in bytes read and written per second.

// benchReportGFLOPS adds a GFLOP/s metric for flops per iteration.
func benchReportGFLOPS(b *testing.B, flops float64) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
	}
}

func BenchmarkMatMul(b *testing.B) {
	for _, n := range []int{64, 128, 256, 512, 1024} {
		b.Run(fmt.Sprintf("float32/%d", n), func(b *testing.B) {
			tl.ManualSeed(1)
			x, y := tl.Randn(n, n), tl.Randn(n, n)
			b.ReportAllocs()
			for b.Loop() {
				x.MatMul(y)
			}
			benchReportGFLOPS(b, 2*float64(n)*float64(n)*float64(n))
		})
	}
}

func BenchmarkMatMulTransposed(b *testing.B) {
	const n = 256
	tl.ManualSeed(1)
	x, y := tl.Randn(n, n), tl.Randn(n, n)
	for _, tc := range []struct {
		name string
		a, b *tl.Tensor
	}{
		{"AT·B", x.T(), y},
		{"A·BT", x, y.T()},
		{"batched 8×64", tl.Randn(8, 64, 64), tl.Randn(8, 64, 64)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				tc.a.MatMul(tc.b)
			}
			m := tc.b.Shape()[tc.b.Dim()-1]
			benchReportGFLOPS(b, 2*float64(tc.a.Numel())*float64(m))
		})
	}
}

var benchSizes = []struct {
	name string
	n    int
}{{"1M", 1 << 20}, {"16M", 1 << 24}}

func BenchmarkElementwise(b *testing.B) {
	for _, sz := range benchSizes {
		tl.ManualSeed(1)
		x, y := tl.Randn(sz.n), tl.Randn(sz.n)
		for _, op := range []struct {
			name   string
			inputs int
			f      func() *tl.Tensor
		}{
			{"Add", 2, func() *tl.Tensor { return x.Add(y) }},
			{"Mul", 2, func() *tl.Tensor { return x.Mul(y) }},
			{"Exp", 1, func() *tl.Tensor { return x.Exp() }},
			{"AddScalar", 1, func() *tl.Tensor { return x.AddScalar(1) }},
		} {
			b.Run(op.name+"/float32/"+sz.name, func(b *testing.B) {
				b.SetBytes(int64(4 * sz.n * (op.inputs + 1)))
				for b.Loop() {
					op.f()
				}
			})
		}
	}
}

func BenchmarkElementwiseBroadcast(b *testing.B) {
	tl.ManualSeed(1)
	x, row := tl.Randn(1024, 1024), tl.Randn(1024)
	b.SetBytes(4 * 2 * 1024 * 1024)
	for b.Loop() {
		x.Add(row)
	}
}

func BenchmarkReduce(b *testing.B) {
	tl.ManualSeed(1)
	x := tl.Randn(1024, 1024) // 1M elements
	for _, op := range []struct {
		name string
		f    func() *tl.Tensor
	}{
		{"Sum", func() *tl.Tensor { return x.Sum() }},
		{"SumDim0", func() *tl.Tensor { return x.SumDim(0, false) }},
		{"SumDim1", func() *tl.Tensor { return x.SumDim(1, false) }},
		{"Mean", func() *tl.Tensor { return x.Mean() }},
		{"MaxDim1", func() *tl.Tensor { v, _ := x.MaxDim(1, false); return v }},
	} {
		b.Run(op.name+"/float32/1M", func(b *testing.B) {
			b.SetBytes(4 * 1024 * 1024)
			for b.Loop() {
				op.f()
			}
		})
	}
}

func BenchmarkSoftmax(b *testing.B) {
	tl.ManualSeed(1)
	x := tl.Randn(128, 1000)
	for _, op := range []struct {
		name string
		f    func() *tl.Tensor
	}{
		{"Softmax", func() *tl.Tensor { return x.Softmax(-1) }},
		{"LogSoftmax", func() *tl.Tensor { return x.LogSoftmax(-1) }},
	} {
		b.Run(op.name+"/128x1000", func(b *testing.B) {
			b.SetBytes(4 * 2 * 128 * 1000)
			for b.Loop() {
				op.f()
			}
		})
	}
}

// BenchmarkMLPBackward times one training step's forward and backward pass of
// a 784-128-10 MLP with tanh and a softmax cross-entropy, batch 64.
func BenchmarkMLPBackward(b *testing.B) {
	const batch, in, hidden, out = 64, 784, 128, 10
	tl.ManualSeed(1)
	x := tl.Randn(batch, in)
	target := tl.RandInt(0, out, batch, 1)
	w1 := tl.Randn(in, hidden).MulScalar(0.03).SetRequiresGrad(true)
	b1 := tl.Zeros(hidden).SetRequiresGrad(true)
	w2 := tl.Randn(hidden, out).MulScalar(0.1).SetRequiresGrad(true)
	b2 := tl.Zeros(out).SetRequiresGrad(true)
	params := []*tl.Tensor{w1, b1, w2, b2}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range params {
			p.SetGrad(nil)
		}
		logits := x.MatMul(w1).Add(b1).Tanh().MatMul(w2).Add(b2)
		loss := logits.LogSoftmax(1).Gather(1, target).Mean().Neg()
		loss.Backward()
	}
	// Matmul work: the forward product and the weight gradient of each layer,
	// and the hidden layer's input gradient (x needs none).
	benchReportGFLOPS(b, 2*batch*(2*in*hidden+3*hidden*out))
}
