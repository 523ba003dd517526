package tensorlib

import (
	"math"
	"runtime"
	"testing"
)

// Layer and batch normalisation: finite-difference gradients (the golden
// values against torch are in tensorlib/nn's tests), a plain float64
// reference on inputs large enough to be split across threads, and
// results that do not depend on the number of threads.

func TestNormGradcheck(t *testing.T) {
	cases := []struct {
		name   string
		inputs []*Tensor
		f      gcFunc
	}{
		{"LayerNorm/affine", gcIn(gcRand(1, 3, 5), gcRand(2, 5), gcRand(3, 5)), func(x []*Tensor) *Tensor {
			return LayerNorm(x[0], []int{5}, x[1], x[2], 1e-5)
		}},
		{"LayerNorm/two dims, weight only", gcIn(gcRand(4, 2, 3, 4), gcRand(5, 3, 4)), func(x []*Tensor) *Tensor {
			return LayerNorm(x[0], []int{3, 4}, x[1], nil, 1e-3)
		}},
		{"LayerNorm/no affine", gcIn(gcRand(6, 4, 6)), func(x []*Tensor) *Tensor {
			return LayerNorm(x[0], []int{6}, nil, nil, 1e-5)
		}},
		{"BatchNorm/training 4-D", gcIn(gcRand(7, 3, 2, 2, 3), gcRand(8, 2), gcRand(9, 2)), func(x []*Tensor) *Tensor {
			return BatchNorm(x[0], nil, nil, x[1], x[2], true, 0.1, 1e-5)
		}},
		{"BatchNorm/training 2-D, bias only", gcIn(gcRand(10, 5, 3), gcRand(11, 3)), func(x []*Tensor) *Tensor {
			return BatchNorm(x[0], nil, nil, nil, x[1], true, 0.1, 1e-5)
		}},
		{"BatchNorm/eval", gcIn(gcRand(12, 2, 3, 4), gcRand(13, 3)), func(x []*Tensor) *Tensor {
			rm := FromFloat64s([]float64{0.5, -1, 2})
			rv := FromFloat64s([]float64{1.5, 0.25, 3})
			return BatchNorm(x[0], rm, rv, x[1], nil, false, 0.1, 1e-5)
		}},
	}
	for _, c := range cases {
		for _, layout := range []gcLayout{gcContiguous, gcStrided} {
			if err := gradcheck(c.f, c.inputs, gcOptions{layout: layout}); err != nil {
				t.Errorf("%s (%v): %v", c.name, layout, err)
			}
		}
	}
}

// TestLayerNormReference checks a 300×70 float64 layer norm (split into
// chunks of rows) and its gradients against a direct computation.
func TestLayerNormReference(t *testing.T) {
	rows, n := 300, 70
	x := gcRand(21, rows, n).SetRequiresGrad(true)
	w, b := gcRand(22, n).SetRequiresGrad(true), gcRand(23, n).SetRequiresGrad(true)
	g := gcRand(24, rows, n)
	out := LayerNorm(x, []int{n}, w, b, 1e-5)
	out.BackwardWith(BackwardOptions{Grad: g})
	xd, wd, bd, gd := x.Float64s(), w.Float64s(), b.Float64s(), g.Float64s()
	wantOut, wantDx := make([]float64, rows*n), make([]float64, rows*n)
	wantDw, wantDb := make([]float64, n), make([]float64, n)
	for r := 0; r < rows; r++ {
		row := xd[r*n : (r+1)*n]
		m, v := 0.0, 0.0
		for _, e := range row {
			m += e / float64(n)
		}
		for _, e := range row {
			v += (e - m) * (e - m) / float64(n)
		}
		s := 1 / math.Sqrt(v+1e-5)
		var s1, s2 float64
		for j, e := range row {
			xh := (e - m) * s
			wantOut[r*n+j] = xh*wd[j] + bd[j]
			gw := gd[r*n+j] * wd[j]
			s1 += gw
			s2 += gw * xh
			wantDw[j] += gd[r*n+j] * xh
			wantDb[j] += gd[r*n+j]
		}
		for j, e := range row {
			xh := (e - m) * s
			wantDx[r*n+j] = s * (gd[r*n+j]*wd[j] - s1/float64(n) - xh*s2/float64(n))
		}
	}
	for _, c := range []struct {
		name      string
		got, want []float64
	}{{"output", out.Float64s(), wantOut}, {"dx", x.Grad().Float64s(), wantDx}, {"dw", w.Grad().Float64s(), wantDw}, {"db", b.Grad().Float64s(), wantDb}} {
		for i := range c.want {
			if d := math.Abs(c.got[i] - c.want[i]); d > 1e-10*(1+math.Abs(c.want[i])) {
				t.Fatalf("%s[%d] = %v, want %v", c.name, i, c.got[i], c.want[i])
			}
		}
	}
}

// TestNormFloat32 checks the float32 layer and batch norms (the row
// kernels of norm_f32.go, both the portable ones and those in use) and
// their gradients against the float64 ones on the same values, on odd
// sizes that leave kernel tails.
func TestNormFloat32(t *testing.T) {
	type result struct{ out, dx, dw, db []float64 }
	ln := func(dt DType, rows, n int, affine bool) result {
		x := gcRand(31, rows, n).To(Float32).To(dt).SetRequiresGrad(true)
		g := gcRand(32, rows, n).To(Float32).To(dt)
		var w, b *Tensor
		if affine {
			w = gcRand(33, n).To(Float32).To(dt).SetRequiresGrad(true)
			b = gcRand(34, n).To(Float32).To(dt).SetRequiresGrad(true)
		}
		out := LayerNorm(x, []int{n}, w, b, 1e-5)
		out.BackwardWith(BackwardOptions{Grad: g})
		r := result{out: out.Float64s(), dx: x.Grad().Float64s()}
		if affine {
			r.dw, r.db = w.Grad().Float64s(), b.Grad().Float64s()
		}
		return r
	}
	bn := func(dt DType, nb, c, s int, training bool) result {
		x := gcRand(41, nb, c, s).To(Float32).To(dt).SetRequiresGrad(true)
		g := gcRand(42, nb, c, s).To(Float32).To(dt)
		w := gcRand(43, c).To(Float32).To(dt).SetRequiresGrad(true)
		b := gcRand(44, c).To(Float32).To(dt).SetRequiresGrad(true)
		rm, rv := gcRand(45, c).To(Float32).To(dt), Full(1.5, c).To(dt)
		out := BatchNorm(x, rm, rv, w, b, training, 0.1, 1e-5)
		out.BackwardWith(BackwardOptions{Grad: g})
		return result{out.Float64s(), x.Grad().Float64s(), w.Grad().Float64s(), b.Grad().Float64s()}
	}
	near := func(name string, got, want []float64) {
		t.Helper()
		scale := 0.0
		for _, v := range want {
			scale = max(scale, math.Abs(v))
		}
		for i := range want {
			if d := math.Abs(got[i] - want[i]); d > 1e-5*(scale+1) || math.IsNaN(got[i]) {
				t.Fatalf("%s[%d] = %v, want %v", name, i, got[i], want[i])
			}
		}
	}
	prev := normK
	defer func() { normK = prev }()
	for _, k := range []normKernels{normGo, prev} {
		normK = k
		for _, sh := range [][2]int{{1, 1}, {3, 7}, {5, 16}, {4, 37}, {9, 70}, {2, 513}} {
			for _, affine := range []bool{true, false} {
				got, want := ln(Float32, sh[0], sh[1], affine), ln(Float64, sh[0], sh[1], affine)
				near("LayerNorm out", got.out, want.out)
				near("LayerNorm dx", got.dx, want.dx)
				near("LayerNorm dw", got.dw, want.dw)
				near("LayerNorm db", got.db, want.db)
			}
		}
		for _, sh := range [][3]int{{2, 3, 1}, {3, 2, 7}, {2, 3, 16}, {5, 2, 37}, {3, 4, 70}} {
			for _, training := range []bool{true, false} {
				got, want := bn(Float32, sh[0], sh[1], sh[2], training), bn(Float64, sh[0], sh[1], sh[2], training)
				near("BatchNorm out", got.out, want.out)
				near("BatchNorm dx", got.dx, want.dx)
				near("BatchNorm dw", got.dw, want.dw)
				near("BatchNorm db", got.db, want.db)
			}
		}
	}
}

// TestNormThreadIndependent runs float32 layer and batch norms, forward and
// backward, on one thread and on two, and wants the same bits.
func TestNormThreadIndependent(t *testing.T) {
	run := func() [][]float32 {
		ManualSeed(5)
		x := Randn(64, 8, 20, 20).SetRequiresGrad(true)
		w, b := Randn(8).SetRequiresGrad(true), Randn(8).SetRequiresGrad(true)
		rm, rv := Zeros(8), Ones(8)
		y := BatchNorm(x, rm, rv, w, b, true, 0.1, 1e-5)
		lw := Randn(400).SetRequiresGrad(true)
		z := LayerNorm(y.Reshape(512, 400), []int{400}, lw, nil, 1e-5)
		z.Mul(Randn(512, 400)).Sum().Backward()
		return [][]float32{z.Float32s(), x.Grad().Float32s(), w.Grad().Float32s(), b.Grad().Float32s(), lw.Grad().Float32s(), rm.Float32s(), rv.Float32s()}
	}
	prev := runtime.GOMAXPROCS(1)
	one := run()
	runtime.GOMAXPROCS(2)
	two := run()
	runtime.GOMAXPROCS(prev)
	for k := range one {
		for i := range one[k] {
			if math.Float32bits(one[k][i]) != math.Float32bits(two[k][i]) {
				t.Fatalf("result %d element %d: %v on one thread, %v on two", k, i, one[k][i], two[k][i])
			}
		}
	}
}

func TestNormErrors(t *testing.T) {
	cases := map[string]func(){
		"LayerNorm shape":        func() { LayerNorm(Zeros(3, 5), []int{4}, nil, nil, 1e-5) },
		"LayerNorm weight shape": func() { LayerNorm(Zeros(3, 5), []int{5}, Zeros(4), nil, 1e-5) },
		"LayerNorm weight dtype": func() { LayerNorm(Zeros(3, 5), []int{5}, Zeros(5).To(Float64), nil, 1e-5) },
		"LayerNorm int input":    func() { LayerNorm(Zeros(3, 5).To(Int64), []int{5}, nil, nil, 1e-5) },
		"BatchNorm rank":         func() { BatchNorm(Zeros(3), nil, nil, nil, nil, true, 0.1, 1e-5) },
		"BatchNorm channels":     func() { BatchNorm(Zeros(2, 4), nil, nil, Zeros(3), nil, true, 0.1, 1e-5) },
		"BatchNorm one value":    func() { BatchNorm(Zeros(1, 3), nil, nil, nil, nil, true, 0.1, 1e-5) },
		"BatchNorm eval no stats": func() {
			BatchNorm(Zeros(2, 3), nil, nil, nil, nil, false, 0.1, 1e-5)
		},
	}
	for name, f := range cases {
		err := Catch(f)
		e, ok := err.(*Error)
		if !ok || (e.Op != "LayerNorm" && e.Op != "BatchNorm") {
			t.Errorf("%s: got %v, want a LayerNorm/BatchNorm *Error", name, err)
		}
	}
}

// BenchmarkLayerNormFwdBwd is the bench tool's LayerNorm workload: 2048
// rows of 512, affine, forward and backward through a product with a
// fixed gradient.
func BenchmarkLayerNormFwdBwd(b *testing.B) {
	ManualSeed(1)
	x := Randn(2048, 512).SetRequiresGrad(true)
	w, bias := Ones(512).SetRequiresGrad(true), Zeros(512).SetRequiresGrad(true)
	g := Randn(2048, 512)
	for b.Loop() {
		x.SetGrad(nil)
		w.SetGrad(nil)
		bias.SetGrad(nil)
		LayerNorm(x, []int{512}, w, bias, 1e-5).Mul(g).Sum().Backward()
	}
}

// BenchmarkBatchNormFwdBwd is the bench tool's BatchNorm2d workload: a
// training-mode batch norm of 64×16×26×26 with running statistics, forward
// and backward through a product with a fixed gradient.
func BenchmarkBatchNormFwdBwd(b *testing.B) {
	ManualSeed(1)
	x := Randn(64, 16, 26, 26).SetRequiresGrad(true)
	w, bias := Ones(16).SetRequiresGrad(true), Zeros(16).SetRequiresGrad(true)
	rm, rv := Zeros(16), Ones(16)
	g := Randn(64, 16, 26, 26)
	for b.Loop() {
		x.SetGrad(nil)
		w.SetGrad(nil)
		bias.SetGrad(nil)
		BatchNorm(x, rm, rv, w, bias, true, 0.1, 1e-5).Mul(g).Sum().Backward()
	}
}
