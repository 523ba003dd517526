package tensorlib_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// errsRecover runs f and returns whatever it panicked with (nil if nothing).
func errsRecover(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// TestUsageErrors checks that every usage error panics with a *tl.Error
// naming the op and mentioning the operands' shapes (or, where shapes are
// not the problem, the offending dtype or value).
func TestUsageErrors(t *testing.T) {
	a23 := tl.Zeros(2, 3)
	a4 := tl.Zeros(4)
	i64 := tl.FromInt64s([]int64{1, 2, 3})
	scalar := tl.Scalar(1)
	x := tl.Zeros(2, 3).SetRequiresGrad(true)
	for _, tc := range []struct {
		name      string
		op        string
		f         func()
		fragments []string
		shapes    [][]int // want exactly these in Error.Shapes (nil: don't check)
	}{
		// Broadcasting.
		{"Add non-broadcastable", "Add", func() { a23.Add(a4) },
			[]string{"must match the size", "[2, 3]", "[4]"}, [][]int{{2, 3}, {4}}},
		{"Add non-broadcastable middle dim", "Add", func() { tl.Zeros(2, 3, 3).Add(tl.Zeros(4, 1)) },
			[]string{"at non-singleton dimension 1", "[2, 3, 3]", "[4, 1]"}, [][]int{{2, 3, 3}, {4, 1}}},
		{"Sub non-broadcastable", "Sub", func() { a23.Sub(tl.Zeros(3, 2)) }, []string{"[2, 3]", "[3, 2]"}, nil},
		{"Mul non-broadcastable", "Mul", func() { a23.Mul(tl.Zeros(2, 2)) }, []string{"[2, 3]", "[2, 2]"}, nil},
		{"Div non-broadcastable", "Div", func() { a4.Div(a23) }, []string{"[4]", "[2, 3]"}, nil},
		{"Where non-broadcastable", "Where", func() { tl.Where(a23.GtScalar(0), a23, a4) }, []string{"[2, 3]", "[4]"}, nil},
		{"in-place result larger than self", "AddInPlace", func() { tl.Zeros(3).AddInPlace(tl.Zeros(2, 3)) },
			[]string{"[3]", "[2, 3]"}, nil},

		// MatMul.
		{"MatMul size mismatch", "MatMul", func() { a23.MatMul(tl.Zeros(4, 5)) },
			[]string{"cannot be multiplied", "2x3 and 4x5", "[2, 3]", "[4, 5]"}, [][]int{{2, 3}, {4, 5}}},
		{"MatMul vector mismatch", "MatMul", func() { a4.MatMul(tl.Zeros(3)) }, []string{"[4]", "[3]"}, nil},
		{"MatMul 0-dim operand", "MatMul", func() { scalar.MatMul(a23) },
			[]string{"at least 1D", "[]", "[2, 3]"}, [][]int{{}, {2, 3}}},
		{"MatMul 0-dim second operand", "MatMul", func() { a4.MatMul(scalar) }, []string{"at least 1D", "[4]", "[]"}, nil},
		{"MatMul batch mismatch", "MatMul", func() { tl.Zeros(2, 2, 3).MatMul(tl.Zeros(3, 3, 4)) },
			[]string{"[2, 2, 3]", "[3, 3, 4]"}, [][]int{{2, 2, 3}, {3, 3, 4}}},
		{"MatMul mixed dtypes", "MatMul", func() { a23.MatMul(tl.Zeros(3, 2).To(tl.Float64)) },
			[]string{"expected scalar type Float but found Double", "[2, 3]", "[3, 2]"}, [][]int{{2, 3}, {3, 2}}},
		{"MatMul mixed dtype vectors", "MatMul", func() { a4.To(tl.Int64).MatMul(a4) },
			[]string{"dot : expected both vectors to have same dtype, but found Long and Float"}, nil},

		// Shapes and views.
		{"View incompatible with strides", "View", func() { a23.T().View(6) },
			[]string{"not compatible with input tensor's size and stride", "[3, 2]", "[6]"}, [][]int{{3, 2}, {6}}},
		{"View wrong numel", "View", func() { a23.View(4, 2) }, []string{"shape '[4, 2]' is invalid for input of size 6", "[2, 3]"}, nil},
		{"Reshape wrong numel", "Reshape", func() { a23.Reshape(4) },
			[]string{"shape '[4]' is invalid for input of size 6", "[2, 3]"}, [][]int{{2, 3}, {4}}},
		{"Reshape uninferable", "Reshape", func() { a23.Reshape(-1, 4) }, []string{"invalid for input of size 6", "[2, 3]", "[-1, 4]"}, nil},
		{"Reshape two -1", "Reshape", func() { a23.Reshape(-1, -1) }, []string{"only one dimension can be inferred"}, nil},
		{"Expand non-singleton", "Expand", func() { a23.Expand(4, 3) }, []string{"[2, 3]", "[4, 3]"}, nil},
		{"Expand too few sizes", "Expand", func() { a23.Expand(3) }, []string{"[2, 3]", "[3]"}, nil},
		{"Permute wrong count", "Permute", func() { a23.Permute(0) }, []string{"[2, 3]"}, nil},
		{"T of 3-D", "T", func() { tl.Zeros(2, 3, 4).T() }, []string{"[2, 3, 4]"}, nil},
		{"Narrow past the end", "Narrow", func() { a23.Narrow(1, 2, 2) }, []string{"exceeds dimension size", "[2, 3]"}, nil},
		{"Split sizes not summing", "Split", func() { a23.SplitSizes([]int{1, 1}, 1) }, []string{"[2, 3]"}, nil},
		{"FromFloat32s wrong shape", "FromFloat32s", func() { tl.FromFloat32s([]float32{1, 2, 3}, 2, 2) },
			[]string{"needs 4 elements but 3 were given", "[2, 2]"}, [][]int{{2, 2}}},
		{"FromInt64s wrong shape", "FromInt64s", func() { tl.FromInt64s([]int64{1, 2}, 3) }, []string{"[3]"}, nil},
		{"Zeros negative size", "New", func() { tl.Zeros(2, -1) }, []string{"negative dimension", "[2, -1]"}, nil},

		// Dimensions out of range.
		{"SumDim out of range", "Sum", func() { a23.SumDim(2, false) },
			[]string{"dimension out of range (expected to be in range of [-2, 1], but got 2)", "[2, 3]"}, [][]int{{2, 3}}},
		{"MeanDim negative out of range", "Mean", func() { a23.MeanDim(-3, false) }, []string{"but got -3", "[2, 3]"}, nil},
		{"Transpose out of range", "Transpose", func() { a23.Transpose(0, 5) }, []string{"but got 5", "[2, 3]"}, nil},
		{"Softmax out of range", "Softmax", func() { a23.Softmax(2) }, []string{"but got 2", "[2, 3]"}, nil},
		{"Select dim out of range", "Select", func() { a23.Select(3, 0) }, []string{"but got 3", "[2, 3]"}, nil},
		{"Unsqueeze out of range", "Unsqueeze", func() { a23.Unsqueeze(3) }, []string{"[-3, 2]", "but got 3", "[2, 3]"}, nil},
		{"Cat dim out of range", "Cat", func() { tl.Cat([]*tl.Tensor{a23, a23}, 2) }, []string{"but got 2", "[2, 3]"}, nil},
		{"Stack dim out of range", "Stack", func() { tl.Stack([]*tl.Tensor{a23, a23}, 4) }, []string{"but got 4", "[2, 3]"}, nil},
		{"MaxDim out of range", "Max", func() { a23.MaxDim(2, false) }, []string{"but got 2", "[2, 3]"}, nil},
		{"Size out of range", "Size", func() { a23.Size(2) }, []string{"but got 2", "[2, 3]"}, nil},
		{"Flatten start after end", "Flatten", func() { tl.Zeros(2, 3, 4).Flatten(2, 1) }, []string{"start_dim cannot come after end_dim"}, nil},

		// Indices out of range.
		{"Select index out of range", "Select", func() { a23.Select(0, 2) },
			[]string{"index 2 is out of bounds for dimension 0 with size 2", "[2, 3]"}, [][]int{{2, 3}}},
		{"Select negative index out of range", "Select", func() { a23.Select(1, -4) }, []string{"index -4 is out of bounds", "[2, 3]"}, nil},
		{"IndexSelect index out of range", "IndexSelect", func() { a23.IndexSelect(1, tl.FromInt64s([]int64{0, 3})) },
			[]string{"index 3 is out of bounds for dimension with size 3", "[2, 3]", "[2]"}, [][]int{{2, 3}, {2}}},
		{"IndexSelect negative index out of range", "IndexSelect", func() { a23.IndexSelect(0, tl.FromInt64s([]int64{-3})) },
			[]string{"index -3 is out of bounds", "[2, 3]"}, nil},
		{"IndexSelect float index", "IndexSelect", func() { a23.IndexSelect(0, tl.Zeros(1)) }, []string{"Int64 index", "torch.float32"}, nil},
		{"IndexSelect 2-D index", "IndexSelect", func() { a23.IndexSelect(0, tl.FromInt64s([]int64{0, 1}, 1, 2)) },
			[]string{"vector", "[2, 3]", "[1, 2]"}, nil},
		{"Gather index out of range", "Gather", func() { a23.Gather(1, tl.FromInt64s([]int64{0, 3}, 2, 1)) },
			[]string{"index 3 is out of bounds for dimension 1 with size 3", "[2, 3]"}, nil},
		{"Gather rank mismatch", "Gather", func() { a23.Gather(1, tl.FromInt64s([]int64{0, 1})) }, []string{"[2, 3]", "[2]"}, nil},
		{"Scatter index out of range", "Scatter", func() { a23.Scatter(0, tl.FromInt64s([]int64{2}, 1, 1), tl.Ones(1, 1)) },
			[]string{"index 2 is out of bounds for dimension 0 with size 2", "[2, 3]"}, nil},
		{"ScatterAdd index out of range", "ScatterAdd", func() { a23.ScatterAdd(1, tl.FromInt64s([]int64{-4}, 1, 1), tl.Ones(1, 1)) },
			[]string{"index -4 is out of bounds", "[2, 3]"}, nil},
		{"Scatter src too small", "Scatter", func() { a23.Scatter(1, tl.FromInt64s([]int64{0, 1}, 1, 2), tl.Ones(1, 1)) },
			[]string{"[2, 3]", "[1, 2]", "[1, 1]"}, nil},

		// Joining.
		{"Cat mismatched shapes", "Cat", func() { tl.Cat([]*tl.Tensor{a23, tl.Zeros(2, 4)}, 0) },
			[]string{"sizes of tensors must match except in dimension 0", "[2, 3]", "[2, 4]"}, [][]int{{2, 3}, {2, 4}}},
		{"Cat mismatched ranks", "Cat", func() { tl.Cat([]*tl.Tensor{a23, a4}, 0) }, []string{"same number of dimensions", "[2, 3]", "[4]"}, nil},
		{"Cat empty list", "Cat", func() { tl.Cat(nil, 0) }, []string{"non-empty"}, nil},
		{"Stack mismatched shapes", "Stack", func() { tl.Stack([]*tl.Tensor{a23, tl.Zeros(3, 2)}, 0) }, []string{"[2, 3]", "[3, 2]"}, nil},

		// Dtypes and autograd misuse.
		{"SetRequiresGrad on Int64", "SetRequiresGrad", func() { i64.SetRequiresGrad(true) },
			[]string{"only Tensors of floating point dtype can require gradients", "torch.int64"}, nil},
		{"SetRequiresGrad on non-leaf", "SetRequiresGrad", func() { x.MulScalar(2).SetRequiresGrad(false) }, []string{"leaf"}, nil},
		{"IndexPut on a tensor requiring grad", "IndexPut", func() { x.IndexPut(tl.Ones(3), 0) },
			[]string{"not differentiable", "[2, 3]", "[3]"}, nil},
		{"SetGrad wrong shape", "SetGrad", func() { x.SetGrad(tl.Zeros(3, 2)) }, []string{"[2, 3]", "[3, 2]"}, nil},
		{"Item on a multi-element tensor", "Item", func() { a23.Item() },
			[]string{"a Tensor with 6 elements cannot be converted to Scalar", "[2, 3]"}, [][]int{{2, 3}}},
		{"Item on an empty tensor", "Item", func() { tl.Zeros(0).Item() }, []string{"0 elements", "[0]"}, nil},
		{"Mean of Int64", "Mean", func() { i64.Mean() }, []string{"floating point", "torch.int64"}, nil},
		{"Var of Int64", "Var", func() { i64.Var() }, []string{"torch.int64"}, nil},
		{"Sub of bools", "Sub", func() { tl.FromBools([]bool{true}).Sub(tl.FromBools([]bool{false})) }, []string{"bool"}, nil},
		{"Neg of bool", "Neg", func() { tl.FromBools([]bool{true}).Neg() }, []string{"torch.bool"}, nil},
		{"MatMul of bools", "MatMul", func() { tl.FromBools([]bool{true}).MatMul(tl.FromBools([]bool{true})) }, []string{"torch.bool"}, nil},
		{"Where non-bool condition", "Where", func() { tl.Where(a23, a23, a23) }, []string{"bool", "torch.float32", "[2, 3]"}, nil},
		{"MaskedFill non-bool mask", "MaskedFill", func() { a23.MaskedFill(a23, 1) }, []string{"Bool mask", "[2, 3]"}, nil},
		{"MaskedFill mask larger than self", "MaskedFill", func() { a4.MaskedFill(tl.FromBools(make([]bool, 8), 2, 4), 1) },
			[]string{"[4]", "[2, 4]"}, nil},
		{"in-place float result into Int64", "MulScalarInPlace", func() { tl.FromInt64s([]int64{1}).MulScalarInPlace(0.5) },
			[]string{"torch.float32", "torch.int64"}, nil},

		// Creation.
		{"Arange zero step", "Arange", func() { tl.Arange(0, 10, 0) }, []string{"step must be nonzero", "step=0"}, nil},
		{"Arange wrong sign", "Arange", func() { tl.Arange(0, 10, -1) }, []string{"inconsistent with step sign"}, nil},
		{"Arange too many arguments", "Arange", func() { tl.Arange(0, 1, 2, 3) }, []string{"got 4"}, nil},
		{"RandInt empty range", "RandInt", func() { tl.RandInt(5, 5, 2) }, []string{"from=5 >= to=5"}, nil},
		{"Slice step zero", "Slice", func() { a23.Slice(1, 0, 3, 0) }, []string{"step must be positive"}, nil},
		{"Chunk zero chunks", "Chunk", func() { a23.Chunk(0, 0) }, []string{"greater than 0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := errsRecover(tc.f)
			if r == nil {
				t.Fatal("did not panic")
			}
			e, ok := r.(*tl.Error)
			if !ok {
				t.Fatalf("panicked with %T (%v), want *tl.Error", r, r)
			}
			if e.Op != tc.op {
				t.Errorf("Op = %q, want %q (%v)", e.Op, tc.op, e)
			}
			if e.Msg == "" {
				t.Error("empty Msg")
			}
			msg := e.Error()
			if !strings.HasPrefix(msg, tc.op+": ") {
				t.Errorf("Error() = %q does not start with the op", msg)
			}
			for _, s := range tc.fragments {
				if !strings.Contains(msg, s) {
					t.Errorf("Error() = %q does not mention %q", msg, s)
				}
			}
			if tc.shapes != nil && fmt.Sprint(e.Shapes) != fmt.Sprint(tc.shapes) {
				t.Errorf("Shapes = %v, want %v", e.Shapes, tc.shapes)
			}
		})
	}
	// A failed op leaves its operands untouched.
	if a23.Version() != 0 || x.Grad() != nil {
		t.Error("a failed op modified an operand")
	}
}

func TestErrorFormat(t *testing.T) {
	e := &tl.Error{Op: "Add", Msg: "bad", Shapes: [][]int{{2, 3}, {}, {4}}}
	if got, want := e.Error(), "Add: bad (shapes [2, 3], [], [4])"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &tl.Error{Op: "Arange", Msg: "bad step"}
	if got, want := e.Error(), "Arange: bad step"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCatch(t *testing.T) {
	t.Run("no panic", func(t *testing.T) {
		ran := false
		if err := tl.Catch(func() { ran = true }); err != nil || !ran {
			t.Errorf("Catch = %v, ran %v", err, ran)
		}
	})
	t.Run("returns the *Error", func(t *testing.T) {
		err := tl.Catch(func() { tl.Zeros(2).Add(tl.Zeros(3)) })
		var e *tl.Error
		if !errors.As(err, &e) || e.Op != "Add" {
			t.Fatalf("Catch = %#v, want *tl.Error from Add", err)
		}
		if err.Error() != e.Error() || !strings.Contains(err.Error(), "[2], [3]") {
			t.Errorf("error text %q", err.Error())
		}
		// The very value that was panicked is returned.
		want := &tl.Error{Op: "Mine", Msg: "custom"}
		if got := tl.Catch(func() { panic(want) }); got != want {
			t.Errorf("Catch = %v, want the panicked *Error itself", got)
		}
		if got := tl.Catch(func() { panic(tl.ErrInterrupted) }); !errors.Is(got, tl.ErrInterrupted) {
			t.Errorf("Catch = %v, want ErrInterrupted", got)
		}
	})
	t.Run("state after a caught error", func(t *testing.T) {
		// Grad mode survives a panic inside NoGrad, and the library keeps working.
		err := tl.Catch(func() { tl.NoGrad(func() { tl.Zeros(2).MatMul(tl.Zeros(3)) }) })
		if err == nil || !tl.IsGradEnabled() {
			t.Errorf("err %v, grad enabled %v", err, tl.IsGradEnabled())
		}
		if got := tl.Ones(2).Add(tl.Ones(2)).Sum().Item(); got != 4 {
			t.Errorf("after a caught error, 1+1 summed = %v", got)
		}
	})
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"string", "boom"},
		{"plain error", errors.New("not a tl.Error")},
		{"wrapped *Error", fmt.Errorf("wrapped: %w", &tl.Error{Op: "X", Msg: "y"})},
		{"non-pointer Error", tl.Error{Op: "X", Msg: "y"}},
		{"int", 42},
	} {
		t.Run("re-panics "+tc.name, func(t *testing.T) {
			r := errsRecover(func() {
				_ = tl.Catch(func() { panic(tc.value) })
				t.Error("Catch returned instead of re-panicking")
			})
			if fmt.Sprint(r) != fmt.Sprint(tc.value) {
				t.Errorf("re-panicked with %v, want %v", r, tc.value)
			}
			if err, ok := tc.value.(error); ok {
				if got, ok := r.(error); !ok || got != err {
					t.Errorf("re-panicked value %v is not the original error", r)
				}
			}
		})
	}
	t.Run("re-panics runtime errors", func(t *testing.T) {
		r := errsRecover(func() {
			_ = tl.Catch(func() {
				var s []int
				_ = s[len(s)+1]
			})
		})
		if _, ok := r.(interface{ RuntimeError() }); !ok {
			t.Errorf("re-panicked with %T %v, want a runtime.Error", r, r)
		}
	})
}

// TestErrorsNotRaisedForLegalInputs makes sure error paths are not triggered
// by legal but unusual arguments.
func TestErrorsNotRaisedForLegalInputs(t *testing.T) {
	for name, f := range map[string]func(){
		"Add broadcast with empty":    func() { tl.Zeros(0, 3).Add(tl.Zeros(3)) },
		"Reshape with -1":             func() { tl.Zeros(2, 3).Reshape(-1) },
		"Select negative index":       func() { tl.Zeros(2, 3).Select(1, -3) },
		"Narrow negative start":       func() { tl.Zeros(2, 3).Narrow(1, -1, 1) },
		"Slice bounds clamp":          func() { tl.Zeros(2, 3).Slice(1, -10, 10, 1) },
		"MatMul empty inner":          func() { tl.Zeros(2, 0).MatMul(tl.Zeros(0, 3)) },
		"Log of negative is NaN":      func() { tl.FromFloat32s([]float32{-1}).Log() },
		"Div by zero is Inf":          func() { tl.Ones(1).Div(tl.Zeros(1)) },
		"IndexSelect empty index":     func() { tl.Zeros(2, 3).IndexSelect(0, tl.FromInt64s(nil)) },
		"SumDim negative":             func() { tl.Zeros(2, 3).SumDim(-2, true) },
		"Unsqueeze at end":            func() { tl.Zeros(2, 3).Unsqueeze(-1) },
		"Squeeze a non-1 dim":         func() { tl.Zeros(2, 3).Squeeze(0) },
		"Squeeze a 0-dim tensor":      func() { tl.Scalar(1).Squeeze() },
		"Squeeze dim 0 of 0-dim":      func() { tl.Scalar(1).Squeeze(0) },
		"Squeeze dim -1 of 0-dim":     func() { tl.Scalar(1).Squeeze(-1) },
		"Arange float step":           func() { tl.Arange(0, 1, 0.25) },
		"Max with NaN":                func() { tl.FromFloat32s([]float32{1, float32(math.NaN())}).Max() },
		"SetRequiresGrad on Float64":  func() { tl.Zeros(1).To(tl.Float64).SetRequiresGrad(true) },
		"SetRequiresGrad false Int64": func() { tl.FromInt64s([]int64{1}).SetRequiresGrad(false) },
	} {
		if r := errsRecover(f); r != nil {
			t.Errorf("%s: panicked with %v", name, r)
		}
	}
}
