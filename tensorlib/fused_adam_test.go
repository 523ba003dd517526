package tensorlib

import (
	"errors"
	"math"
	"testing"
)

// Tests of AdamUpdate (fused_adam.go): the one-pass kernels against the
// composed tensor ops that define the values, for every option.

// adamCase is one AdamUpdate configuration.
type adamCase struct {
	name string
	u    AdamUpdate
	ams  bool
}

func adamCases() []adamCase {
	base := AdamUpdate{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, Step: 3}
	with := func(f func(*AdamUpdate)) AdamUpdate { u := base; f(&u); return u }
	return []adamCase{
		{"default", base, false},
		{"first step", with(func(u *AdamUpdate) { u.Step = 1 }), false},
		{"maximize", with(func(u *AdamUpdate) { u.Maximize = true; u.LR = 0.1 }), false},
		{"weight decay", with(func(u *AdamUpdate) { u.WeightDecay = 0.1 }), false},
		{"adamw", with(func(u *AdamUpdate) { u.Decoupled = true; u.WeightDecay = 0.01 }), false},
		{"adamw no decay", with(func(u *AdamUpdate) { u.Decoupled = true }), false},
		{"amsgrad", with(func(u *AdamUpdate) { u.Eps = 1e-3 }), true},
		{"everything", with(func(u *AdamUpdate) { u.WeightDecay = 0.5; u.Maximize = true; u.Step = 10 }), true},
		{"adamw amsgrad maximize", with(func(u *AdamUpdate) { u.Decoupled = true; u.WeightDecay = 0.2; u.Maximize = true; u.Beta1 = 0.5 }), true},
	}
}

// adamTensors returns a parameter, a gradient and state of n elements with
// varied magnitudes and a few special values (expAvgSq non-negative, as
// in a run).
func adamTensors(g *Generator, dt DType, n int) (p, grad, m, v, vmax *Tensor) {
	p, grad = g.Randn(n).MulScalar(2), g.Randn(n).MulScalar(0.1)
	m, v, vmax = g.Randn(n).MulScalar(0.01), g.Randn(n).MulScalar(0.01).Pow(2), g.Randn(n).MulScalar(0.01).Pow(2)
	if n > 10 {
		grad.Narrow(0, 3, 1).FillInPlace(math.NaN())
		grad.Narrow(0, 5, 1).FillInPlace(0)
		v.Narrow(0, 7, 1).FillInPlace(math.Inf(1))
		vmax.Narrow(0, 9, 1).FillInPlace(math.NaN())
		p.Narrow(0, 10, 1).FillInPlace(math.Inf(-1))
	}
	return p.To(dt), grad.To(dt), m.To(dt), v.To(dt), vmax.To(dt)
}

// clones returns copies of ts.
func clones(ts ...*Tensor) []*Tensor {
	out := make([]*Tensor, len(ts))
	for i, t := range ts {
		out[i] = t.Clone()
	}
	return out
}

// TestAdamUpdateVsComposed checks ApplyInPlace (the one-pass kernel for
// float32, the composed ops otherwise) against the composed ops bit for
// bit, on sizes around the vector width and a parallel-sized one.
func TestAdamUpdateVsComposed(t *testing.T) {
	g := NewGenerator(12)
	for _, dt := range []DType{Float32, Float64} {
		for _, n := range []int{1, 7, 8, 15, 16, 17, 100, cheapParallelMin + 9} {
			for _, c := range adamCases() {
				p, grad, m, v, vmax := adamTensors(g, dt, n)
				want := clones(p, grad, m, v, vmax)
				if !c.ams {
					vmax, want[4] = nil, nil
				}
				gradBefore := grad.Clone()
				NoGrad(func() { c.u.composed(want[0], want[1], want[2], want[3], want[4]) })
				vers := []int{p.Version(), m.Version(), v.Version()}
				c.u.ApplyInPlace(p, grad, m, v, vmax)
				got := []*Tensor{p, grad, m, v, vmax}
				for i, name := range []string{"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"} {
					if got[i] == nil {
						continue
					}
					if k, ok := sameTensorBits(got[i], want[i]); !ok {
						t.Fatalf("%v n=%d %s: %s[%d] = %v, want %v", dt, n, c.name, name, k, got[i].Float64s()[k], want[i].Float64s()[k])
					}
				}
				if _, ok := sameTensorBits(grad, gradBefore); !ok {
					t.Fatalf("%v n=%d %s: the gradient was modified", dt, n, c.name)
				}
				for i, x := range []*Tensor{p, m, v} {
					if x.Version() <= vers[i] {
						t.Fatalf("%s: tensor %d's version did not change", c.name, i)
					}
				}
			}
		}
	}
}

// TestAdamKernels checks the kernel in use (assembly on AVX2/FMA machines,
// for the options it covers) against adamGo at every tail length.
func TestAdamKernels(t *testing.T) {
	g := NewGenerator(13)
	for _, n := range kernelSizes {
		for _, c := range adamCases() {
			p, grad, m, v, vmax := adamTensors(g, Float32, n)
			want := clones(p, grad, m, v, vmax)
			if !c.ams {
				vmax, want[4] = nil, nil
			}
			ts := []*Tensor{p, grad, m, v}
			if vmax != nil {
				ts = append(ts, vmax)
			}
			k := adamKernel
			adamKernel = adamGo
			NoGrad(func() { c.u.fast([]*Tensor{want[0], want[1], want[2], want[3], want[4]}[:len(ts)]) })
			adamKernel = k
			if !c.u.fast(ts) {
				t.Fatalf("%s: the fast path was not taken", c.name)
			}
			for i := range ts {
				if k, ok := sameTensorBits(ts[i], want[i]); !ok {
					t.Fatalf("n=%d %s: tensor %d [%d] = %v, want %v", n, c.name, i, k, ts[i].Float64s()[k], want[i].Float64s()[k])
				}
			}
		}
	}
}

// TestAdamUpdateLayouts checks the composed fallback for a non-contiguous
// state tensor and for state sharing the parameter's storage.
func TestAdamUpdateLayouts(t *testing.T) {
	g := NewGenerator(14)
	u := adamCases()[3].u
	p, grad, m, _, _ := adamTensors(g, Float32, 24)
	v := g.Randn(24, 2).Pow(2).Select(1, 1)
	want := clones(p, grad, m, v)
	NoGrad(func() { u.composed(want[0], want[1], want[2], want[3], nil) })
	u.ApplyInPlace(p, grad, m, v, nil)
	for i, x := range []*Tensor{p, grad, m, v} {
		if k, ok := sameTensorBits(x, want[i]); !ok {
			t.Fatalf("strided state: tensor %d [%d] = %v, want %v", i, k, x.Float64s()[k], want[i].Float64s()[k])
		}
	}
	// The gradient and the parameter as one tensor: fast must decline.
	q := g.Randn(16)
	if u.fast([]*Tensor{q, q, Zeros(16), Zeros(16)}) {
		t.Fatalf("the fast path accepted tensors sharing storage")
	}
}

// TestAdamUpdateErrors checks the shape error.
func TestAdamUpdateErrors(t *testing.T) {
	err := Catch(func() {
		AdamUpdate{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Step: 1}.ApplyInPlace(Zeros(3), Zeros(3), Zeros(3), Zeros(4), nil)
	})
	var e *Error
	if !errors.As(err, &e) || e.Op != "AdamUpdate" || len(e.Shapes) != 4 {
		t.Fatalf("got %v, want an AdamUpdate *Error with four shapes", err)
	}
}
