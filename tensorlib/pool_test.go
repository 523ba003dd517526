package tensorlib

import (
	"fmt"
	"strings"
	"testing"
)

// Pooling: finite-difference gradient checks and errors. The golden cases
// against torch are in conv_test.go (testdata/conv_pool.json).

func TestPoolGradcheck(t *testing.T) {
	cases := []struct {
		name string
		in   *Tensor
		f    gcFunc
	}{
		{"MaxPool2d", gcRand(1, 2, 2, 5, 6), func(x []*Tensor) *Tensor { return MaxPool2d(x[0], []int{2}) }},
		{"MaxPool2d/overlap pad dilation ceil", gcRand(2, 1, 2, 7, 6), func(x []*Tensor) *Tensor {
			return MaxPool2d(x[0], []int{3, 2}, MaxPoolOptions{Stride: []int{2, 1}, Padding: []int{1}, Dilation: []int{1, 2}, CeilMode: true})
		}},
		{"AvgPool2d", gcRand(3, 2, 2, 5, 6), func(x []*Tensor) *Tensor { return AvgPool2d(x[0], []int{2}) }},
		{"AvgPool2d/pad ceil exclude", gcRand(4, 1, 2, 7, 6), func(x []*Tensor) *Tensor {
			return AvgPool2d(x[0], []int{3, 2}, AvgPoolOptions{Stride: []int{2}, Padding: []int{1}, CeilMode: true, ExcludePad: true})
		}},
		{"AvgPool2d/divisor", gcRand(5, 2, 4, 5), func(x []*Tensor) *Tensor {
			return AvgPool2d(x[0], []int{2}, AvgPoolOptions{Stride: []int{1}, DivisorOverride: 3})
		}},
		{"AdaptiveAvgPool2d", gcRand(6, 2, 2, 7, 5), func(x []*Tensor) *Tensor { return AdaptiveAvgPool2d(x[0], []int{3, 2}) }},
		{"AdaptiveAvgPool2d/grow", gcRand(7, 1, 3, 2), func(x []*Tensor) *Tensor { return AdaptiveAvgPool2d(x[0], []int{4, 5}) }},
		{"AdaptiveAvgPool2d/1x1", gcRand(8, 2, 3, 3), func(x []*Tensor) *Tensor { return AdaptiveAvgPool2d(x[0], []int{1}) }},
	}
	for _, c := range cases {
		for _, layout := range []gcLayout{gcContiguous, gcStrided} {
			if err := gradcheck(c.f, []*Tensor{c.in}, gcOptions{layout: layout}); err != nil {
				t.Errorf("%s (%v): %v", c.name, layout, err)
			}
		}
	}
}

func TestPoolErrors(t *testing.T) {
	x := Zeros(1, 2, 5, 5)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"rank", func() { MaxPool2d(Zeros(5, 5), []int{2}) }, "expected 3D or 4D"},
		{"no kernel", func() { MaxPool2d(x, nil) }, "non-positive kernel_size"},
		{"pad", func() { MaxPool2d(x, []int{2}, MaxPoolOptions{Padding: []int{2}}) }, "pad should be smaller than or equal to half of kernel size"},
		{"too small", func() { AvgPool2d(Zeros(1, 1, 2, 2), []int{3}) }, "Output size is too small"},
		{"int", func() { AvgPool2d(New(Int64, 1, 1, 4, 4), []int{2}) }, "AvgPool2d"},
		{"empty channel", func() { AdaptiveAvgPool2d(Zeros(1, 0, 4, 4), []int{2}) }, "non-zero size"},
		{"adaptive size", func() { AdaptiveAvgPool2d(x, []int{1, 2, 3}) }, "output_size must have 1 or 2 values"},
	}
	for _, c := range cases {
		err := Catch(c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestPoolInterrupt(t *testing.T) {
	defer ResetInterrupt()
	x := Rand(1, 2, 8, 8)
	Interrupt()
	for name, f := range map[string]func(){
		"MaxPool2d":         func() { MaxPool2d(x, []int{2}) },
		"AvgPool2d":         func() { AvgPool2d(x, []int{2}) },
		"AdaptiveAvgPool2d": func() { AdaptiveAvgPool2d(x, []int{3}) },
	} {
		if err := Catch(f); err != ErrInterrupted {
			t.Errorf("%s: got %v, want ErrInterrupted", name, err)
		}
	}
}

func BenchmarkMaxPool2dForwardBackward(b *testing.B) {
	x := NewGenerator(1).Randn(32, 16, 28, 28).SetRequiresGrad(true)
	for i := 0; i < b.N; i++ {
		MaxPool2d(x, []int{2}).Sum().Backward()
	}
}

func ExampleMaxPool2dWithIndices() {
	x := FromFloat32s([]float32{
		1, 5, 2, 0,
		3, 4, 8, 6,
		7, 0, 1, 2,
		9, 1, 3, 4,
	}, 1, 1, 4, 4)
	out, idx := MaxPool2dWithIndices(x, []int{2})
	fmt.Println(out)
	fmt.Println(idx)
	// Output:
	// tensor([[[[5., 8.],
	//           [9., 4.]]]])
	// tensor([[[[ 1,  6],
	//           [12, 15]]]])
}

func ExampleAvgPool2d() {
	x := Arange(16).To(Float32).Reshape(1, 1, 4, 4)
	fmt.Println(AvgPool2d(x, []int{2}))
	fmt.Println(AdaptiveAvgPool2d(x, []int{1}))
	// Output:
	// tensor([[[[ 2.5000,  4.5000],
	//           [10.5000, 12.5000]]]])
	// tensor([[[[7.5000]]]])
}
