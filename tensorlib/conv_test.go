package tensorlib

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Golden cases of testdata/conv_pool.json (written by tools/golden/nn_b.py
// from torch 1.13) for convolution and pooling, and finite-difference
// gradient checks in float64.

// cpNum is a JSON number, or one of the strings "nan", "inf", "-inf".
type cpNum float64

func (v *cpNum) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	*v = cpNum(f)
	return err
}

// cpTensor is a tensor's row-major values, shape and dtype name.
type cpTensor struct {
	Values []cpNum `json:"values"`
	Shape  []int   `json:"shape"`
	DType  string  `json:"dtype"`
}

// build returns a new tensor holding the values, or nil for a missing tensor.
func (c *cpTensor) build() *Tensor {
	if c == nil {
		return nil
	}
	d := make([]float64, len(c.Values))
	for i, v := range c.Values {
		d[i] = float64(v)
	}
	t := FromFloat64s(d, c.Shape...)
	switch c.DType {
	case "float32":
		return t.To(Float32)
	case "int64":
		return t.To(Int64)
	}
	return t
}

type cpParams struct {
	Stride          []int `json:"stride"`
	Padding         []int `json:"padding"`
	Dilation        []int `json:"dilation"`
	Groups          int   `json:"groups"`
	Kernel          []int `json:"kernel"`
	CeilMode        bool  `json:"ceil_mode"`
	ExcludePad      bool  `json:"exclude_pad"`
	DivisorOverride int   `json:"divisor_override"`
	OutputSize      []int `json:"output_size"`
}

type cpCase struct {
	Name    string      `json:"name"`
	Op      string      `json:"op"`
	Params  cpParams    `json:"params"`
	Inputs  []*cpTensor `json:"inputs"`
	Out     cpTensor    `json:"out"`
	GradFn  string      `json:"grad_fn"`
	W       cpTensor    `json:"w"`
	Indices *cpTensor   `json:"indices"`
	Grads   []*cpTensor `json:"grads"`
}

func loadConvPoolCases(t *testing.T) []cpCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/conv_pool.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Torch string   `json:"torch"`
		Cases []cpCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases")
	}
	return file.Cases
}

// cpClose compares got with want: shape, dtype and values within
// atol + rtol·|want| (NaN matches NaN).
func cpClose(t *testing.T, what string, got *Tensor, want *cpTensor, rtol, atol float64) {
	t.Helper()
	if got == nil || want == nil {
		if (got == nil) != (want == nil) {
			t.Errorf("%s: got %v, torch %v", what, got != nil, want != nil)
		}
		return
	}
	if !sameShape(got.Shape(), want.Shape) {
		t.Errorf("%s: shape %v, torch %v", what, got.Shape(), want.Shape)
		return
	}
	if got.DType().String() != "torch."+want.DType {
		t.Errorf("%s: dtype %v, torch %s", what, got.DType(), want.DType)
		return
	}
	bad := cpMismatches(got, want, rtol, atol)
	for i, k := range bad {
		if i == 5 {
			t.Errorf("%s: %d of %d values differ", what, len(bad), len(want.Values))
			break
		}
		t.Errorf("%s: [%d] = %v, torch %v", what, k, got.Float64s()[k], float64(want.Values[k]))
	}
}

// cpMismatches returns the positions where got differs from want by more
// than atol + rtol·|want| (NaN matches NaN).
func cpMismatches(got *Tensor, want *cpTensor, rtol, atol float64) []int {
	var bad []int
	for i, g := range got.Float64s() {
		w := float64(want.Values[i])
		if !(math.Abs(g-w) <= atol+rtol*math.Abs(w) || (math.IsNaN(w) && math.IsNaN(g))) {
			bad = append(bad, i)
		}
	}
	return bad
}

// runConvPoolCase applies the case's op to its inputs.
func runConvPoolCase(c cpCase, in []*Tensor) (out, indices *Tensor) {
	p := c.Params
	switch c.Op {
	case "conv1d":
		return Conv1d(in[0], in[1], in[2], ConvOptions{Stride: p.Stride, Padding: p.Padding, Dilation: p.Dilation, Groups: p.Groups}), nil
	case "conv2d":
		return Conv2d(in[0], in[1], in[2], ConvOptions{Stride: p.Stride, Padding: p.Padding, Dilation: p.Dilation, Groups: p.Groups}), nil
	case "max_pool2d":
		return MaxPool2dWithIndices(in[0], p.Kernel, MaxPoolOptions{Stride: p.Stride, Padding: p.Padding, Dilation: p.Dilation, CeilMode: p.CeilMode})
	case "avg_pool2d":
		return AvgPool2d(in[0], p.Kernel, AvgPoolOptions{Stride: p.Stride, Padding: p.Padding, CeilMode: p.CeilMode, ExcludePad: p.ExcludePad, DivisorOverride: p.DivisorOverride}), nil
	case "adaptive_avg_pool2d":
		return AdaptiveAvgPool2d(in[0], p.OutputSize), nil
	}
	panic("unknown op " + c.Op)
}

func TestConvPoolGolden(t *testing.T) {
	for _, c := range loadConvPoolCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			in := make([]*Tensor, len(c.Inputs))
			for i, x := range c.Inputs {
				if in[i] = x.build(); in[i] != nil {
					in[i].SetRequiresGrad(true)
				}
			}
			out, idx := runConvPoolCase(c, in)
			// float32 results of gemm-based kernels differ from torch's in
			// summation order: allow a few ulps of the sums' magnitude.
			rtol, atol := 1e-5, 1e-5
			if c.Out.DType == "float64" {
				rtol, atol = 1e-12, 1e-12
			}
			cpClose(t, "out", out, &c.Out, rtol, atol)
			if out.GradFn() == nil || out.GradFn().Name() != c.GradFn {
				t.Errorf("grad_fn %v, torch %s", out.GradFn(), c.GradFn)
			}
			if c.Indices != nil {
				cpClose(t, "indices", idx, c.Indices, 0, 0)
			}
			out.Mul(c.W.build()).Sum().Backward()
			for i, g := range c.Grads {
				var got *Tensor
				if in[i] != nil {
					got = in[i].Grad()
				}
				cpClose(t, fmt.Sprintf("grad %d", i), got, g, rtol, atol)
			}
		})
	}
}

// TestConvPoolGoldenFails checks that the golden comparison can fail: a
// perturbed weight is caught.
func TestConvPoolGoldenFails(t *testing.T) {
	c := loadConvPoolCases(t)[1] // conv2d/stride2 pad1
	in := []*Tensor{c.Inputs[0].build(), c.Inputs[1].build(), c.Inputs[2].build()}
	out := Conv2d(in[0], in[1].AddScalar(1e-3), in[2], ConvOptions{Stride: c.Params.Stride, Padding: c.Params.Padding})
	if len(cpMismatches(out, &c.Out, 1e-5, 1e-5)) == 0 {
		t.Error("a perturbed weight passed the golden comparison")
	}
}

func TestConvGradcheck(t *testing.T) {
	cases := []struct {
		name   string
		inputs []*Tensor
		f      gcFunc
	}{
		{"Conv2d/basic", gcIn(gcRand(1, 2, 2, 5, 4), gcRand(2, 3, 2, 3, 2), gcRand(3, 3)), func(x []*Tensor) *Tensor {
			return Conv2d(x[0], x[1], x[2])
		}},
		{"Conv2d/stride pad dilation", gcIn(gcRand(1, 1, 2, 7, 6), gcRand(2, 2, 2, 3, 2), gcRand(3, 2)), func(x []*Tensor) *Tensor {
			return Conv2d(x[0], x[1], x[2], ConvOptions{Stride: []int{2, 1}, Padding: []int{1, 2}, Dilation: []int{1, 2}})
		}},
		{"Conv2d/groups", gcIn(gcRand(1, 2, 4, 4, 4), gcRand(2, 6, 2, 2, 2)), func(x []*Tensor) *Tensor {
			return Conv2d(x[0], x[1], nil, ConvOptions{Groups: 2, Padding: []int{1}, Stride: []int{2}})
		}},
		{"Conv2d/same padding", gcIn(gcRand(1, 2, 2, 4, 5), gcRand(2, 3, 2, 3, 3), gcRand(3, 3)), func(x []*Tensor) *Tensor {
			return Conv2d(x[0], x[1], x[2], ConvOptions{Padding: []int{1}})
		}},
		{"Conv2d/unbatched", gcIn(gcRand(1, 2, 4, 3), gcRand(2, 2, 2, 2, 2)), func(x []*Tensor) *Tensor {
			return Conv2d(x[0], x[1], nil, ConvOptions{Padding: []int{1}})
		}},
		{"Conv1d", gcIn(gcRand(1, 2, 4, 9), gcRand(2, 2, 2, 3), gcRand(3, 2)), func(x []*Tensor) *Tensor {
			return Conv1d(x[0], x[1], x[2], ConvOptions{Stride: []int{2}, Padding: []int{2}, Dilation: []int{2}, Groups: 2})
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

func TestConvErrors(t *testing.T) {
	x := Zeros(1, 4, 5, 5)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"channels", func() { Conv2d(x, Zeros(2, 3, 3, 3), nil) }, "expected input[1, 4, 5, 5] to have 3 channels"},
		{"groups", func() { Conv2d(x, Zeros(3, 2, 3, 3), nil, ConvOptions{Groups: 2}) }, "out_channels (3) must be divisible by groups (2)"},
		{"kernel too big", func() { Conv2d(x, Zeros(2, 4, 6, 3), nil) }, "Kernel size can't be greater than actual input size"},
		{"weight rank", func() { Conv2d(x, Zeros(2, 4, 3), nil) }, "4-dimensional weight"},
		{"input rank", func() { Conv1d(x, Zeros(2, 4, 3), nil) }, "expected 2D (unbatched) or 3D (batched) input"},
		{"bias", func() { Conv2d(x, Zeros(2, 4, 3, 3), Zeros(3)) }, "expected bias to be 1-dimensional with 2 elements"},
		{"dtype", func() { Conv2d(x, New(Float64, 2, 4, 3, 3), nil) }, "same floating-point dtype"},
		{"stride", func() { Conv2d(x, Zeros(2, 4, 3, 3), nil, ConvOptions{Stride: []int{0}}) }, "non-positive stride"},
		{"padding", func() { Conv2d(x, Zeros(2, 4, 3, 3), nil, ConvOptions{Padding: []int{1, 2, 3}}) }, "padding must have 1 or 2 values"},
	}
	for _, c := range cases {
		err := Catch(c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestConvInterrupt(t *testing.T) {
	defer ResetInterrupt()
	x, w := Rand(1, 2, 8, 8), Rand(2, 2, 3, 3)
	Interrupt()
	if err := Catch(func() { Conv2d(x, w, nil) }); err != ErrInterrupted {
		t.Errorf("got %v, want ErrInterrupted", err)
	}
}

// A large enough convolution runs its batch across goroutines; the result
// must not depend on that split.
func TestConvParallelMatchesSerial(t *testing.T) {
	g := NewGenerator(3)
	x, w, b := g.Randn(8, 3, 20, 20).SetRequiresGrad(true), g.Randn(16, 3, 3, 3).SetRequiresGrad(true), g.Randn(16).SetRequiresGrad(true)
	out := Conv2d(x, w, b, ConvOptions{Padding: []int{1}})
	out.Sum().Backward()
	for n := 0; n < 8; n++ {
		xn := x.Detach().Narrow(0, n, 1).Clone().SetRequiresGrad(true)
		on := Conv2d(xn, w.Detach(), b.Detach(), ConvOptions{Padding: []int{1}})
		if d := on.Sub(out.Detach().Narrow(0, n, 1)).Abs().Max().Item(); d != 0 {
			t.Fatalf("sample %d differs by %g", n, d)
		}
		on.Sum().Backward()
		if d := xn.Grad().Sub(x.Grad().Narrow(0, n, 1)).Abs().Max().Item(); d != 0 {
			t.Fatalf("input grad of sample %d differs by %g", n, d)
		}
	}
}

func BenchmarkConv2dForwardBackward(b *testing.B) {
	g := NewGenerator(1)
	x := g.Randn(32, 8, 28, 28).SetRequiresGrad(true)
	w := g.Randn(16, 8, 3, 3).SetRequiresGrad(true)
	for i := 0; i < b.N; i++ {
		Conv2d(x, w, nil, ConvOptions{Padding: []int{1}}).Sum().Backward()
	}
}

func ExampleConv2d() {
	x := Arange(16).To(Float32).Reshape(1, 1, 4, 4)
	w := Ones(1, 1, 2, 2)
	fmt.Println(Conv2d(x, w, nil, ConvOptions{Stride: []int{2}}))
	// Output:
	// tensor([[[[10., 18.],
	//           [42., 50.]]]])
}

// TestIm2col compares im2col, including its one-copy path for stride-1
// "same" convolutions, with the definition, on geometries that take each
// path.
func TestIm2col(t *testing.T) {
	cases := []struct {
		name                   string
		c, h, w, kh, kw        int
		sh, sw, ph, pw, dh, dw int
	}{
		{"3x3 same", 2, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1},
		{"5x5 same", 1, 7, 5, 5, 5, 1, 1, 2, 2, 1, 1},
		{"dilated same", 2, 6, 7, 3, 3, 1, 1, 2, 2, 2, 2},
		{"1x3 same, tall padding", 1, 4, 5, 1, 3, 1, 1, 2, 1, 1, 1},
		{"padding larger than the plane", 1, 2, 2, 5, 5, 1, 1, 2, 2, 1, 1},
		{"valid", 2, 6, 6, 3, 3, 1, 1, 0, 0, 1, 1},
		{"strided", 1, 7, 7, 3, 3, 2, 2, 1, 1, 1, 1},
	}
	for _, tc := range cases {
		g := convGeom{c: tc.c, h: tc.h, w: tc.w, kh: tc.kh, kw: tc.kw, sh: tc.sh, sw: tc.sw, ph: tc.ph, pw: tc.pw, dh: tc.dh, dw: tc.dw, groups: 1}
		g.oh = (tc.h+2*tc.ph-tc.dh*(tc.kh-1)-1)/tc.sh + 1
		g.ow = (tc.w+2*tc.pw-tc.dw*(tc.kw-1)-1)/tc.sw + 1
		x := make([]float32, tc.c*tc.h*tc.w)
		for i := range x {
			x[i] = float32(i + 1)
		}
		p := g.oh * g.ow
		cols := make([]float32, tc.c*tc.kh*tc.kw*p)
		for i := range cols {
			cols[i] = -7 // every element must be written
		}
		im2col(cols, x, tc.c, g)
		// col2im, the adjoint, against its definition (on a copy: it
		// may zero the padding values of its scratch input).
		ys := make([]float32, len(cols))
		for i := range ys {
			ys[i] = float32(i%13) - 6
		}
		back, want := make([]float32, len(x)), make([]float32, len(x))
		col2im(back, append([]float32{}, ys...), tc.c, g)
		for c := 0; c < tc.c; c++ {
			for ki := 0; ki < tc.kh; ki++ {
				for kj := 0; kj < tc.kw; kj++ {
					for oy := 0; oy < g.oh; oy++ {
						for ox := 0; ox < g.ow; ox++ {
							iy, ix := oy*tc.sh-tc.ph+ki*tc.dh, ox*tc.sw-tc.pw+kj*tc.dw
							if iy >= 0 && iy < tc.h && ix >= 0 && ix < tc.w {
								want[(c*tc.h+iy)*tc.w+ix] += ys[((c*tc.kh+ki)*tc.kw+kj)*p+oy*g.ow+ox]
							}
						}
					}
				}
			}
		}
		for i := range want {
			if back[i] != want[i] {
				t.Fatalf("%s: col2im element %d = %v, want %v", tc.name, i, back[i], want[i])
			}
		}
		for c := 0; c < tc.c; c++ {
			for ki := 0; ki < tc.kh; ki++ {
				for kj := 0; kj < tc.kw; kj++ {
					for oy := 0; oy < g.oh; oy++ {
						for ox := 0; ox < g.ow; ox++ {
							iy, ix := oy*tc.sh-tc.ph+ki*tc.dh, ox*tc.sw-tc.pw+kj*tc.dw
							var want float32
							if iy >= 0 && iy < tc.h && ix >= 0 && ix < tc.w {
								want = x[(c*tc.h+iy)*tc.w+ix]
							}
							if got := cols[((c*tc.kh+ki)*tc.kw+kj)*p+oy*g.ow+ox]; got != want {
								t.Fatalf("%s: channel %d tap (%d, %d) output (%d, %d) = %v, want %v", tc.name, c, ki, kj, oy, ox, got, want)
							}
						}
					}
				}
			}
		}
	}
}
