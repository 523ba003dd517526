package optim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// TestSGDPlainIsWalkthroughFormula checks plain SGD computes exactly
// p + float32(-lr)·grad (p.AddInPlace(g.MulScalar(-lr))), bit for bit,
// which the linear-regression walkthrough's reference output depends on.
func TestSGDPlainIsWalkthroughFormula(t *testing.T) {
	g := tl.NewGenerator(7)
	for _, dt := range []tl.DType{tl.Float32, tl.Float64} {
		for _, n := range []int{1, 7, 16, 37, 100} {
			for _, lr := range []float64{0.01, 0.1, 1e-3, 0.3} {
				p := g.Randn(n).To(dt).SetRequiresGrad(true)
				grad := g.Randn(n).To(dt).MulScalar(50)
				want := p.Detach().Add(grad.MulScalar(-lr))
				p.SetGrad(grad)
				NewSGD([]*tl.Tensor{p}, lr).Step()
				if msg, _ := compareTensors(p, want, 0, 0); msg != "" {
					t.Fatalf("%v n=%d lr=%v: %s", dt, n, lr, msg)
				}
			}
		}
	}
}

// catch runs f and returns the *tl.Error it panics with.
func catch(t *testing.T, f func()) *tl.Error {
	t.Helper()
	err := tl.Catch(f)
	if err == nil {
		return nil
	}
	var e *tl.Error
	if !errors.As(err, &e) {
		t.Fatalf("panic value %T", err)
	}
	return e
}

func TestConstructorErrors(t *testing.T) {
	p := tl.Zeros(2).SetRequiresGrad(true)
	nonLeaf := p.MulScalar(2)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"empty", func() { NewSGD(nil, 0.1) }, "empty parameter list"},
		{"negative lr", func() { NewSGD([]*tl.Tensor{p}, -1) }, "Invalid learning rate"},
		{"nesterov without momentum", func() { NewSGD([]*tl.Tensor{p}, 0.1, SGDOptions{Nesterov: true}) }, "Nesterov"},
		{"nesterov with dampening", func() { NewSGD([]*tl.Tensor{p}, 0.1, SGDOptions{Nesterov: true, Momentum: 0.9, Dampening: 0.1}) }, "Nesterov"},
		{"beta", func() { NewAdam([]*tl.Tensor{p}, AdamOptions{Betas: [2]float64{1, 0.9}}) }, "beta parameter at index 0"},
		{"adamw negative wd", func() { NewAdamW([]*tl.Tensor{p}, AdamWOptions{WeightDecay: -1}) }, "weight_decay"},
		{"rmsprop alpha", func() { NewRMSprop([]*tl.Tensor{p}, RMSpropOptions{Alpha: -1}) }, "alpha"},
		{"adagrad lr_decay", func() { NewAdagrad([]*tl.Tensor{p}, AdagradOptions{LRDecay: -1}) }, "lr_decay"},
		{"non-leaf", func() { NewSGD([]*tl.Tensor{nonLeaf}, 0.1) }, "non-leaf"},
		{"int", func() { NewSGD([]*tl.Tensor{tl.FromInts([]int{1})}, 0.1) }, "floating-point"},
		{"duplicate", func() { NewSGD([]*tl.Tensor{p, p}, 0.1) }, "twice"},
		{"two groups", func() {
			NewSGDGroups([]ParamGroup{{Params: []*tl.Tensor{p}}, {Params: []*tl.Tensor{p}}}, 0.1)
		}, "more than one parameter group"},
		{"bad hyper type", func() {
			NewSGDGroups([]ParamGroup{{Params: []*tl.Tensor{p}, Hyper: Hyper{"lr": "fast"}}}, 0.1)
		}, `"lr" must be a number`},
		{"bad hyper value", func() {
			NewSGDGroups([]ParamGroup{{Params: []*tl.Tensor{p}, Hyper: Hyper{"lr": []int{1}}}}, 0.1)
		}, "unsupported value"},
	}
	for _, c := range cases {
		e := catch(t, c.f)
		if e == nil || !strings.Contains(e.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, e, c.want)
		}
	}
}

func TestZeroGrad(t *testing.T) {
	p := tl.Ones(3).SetRequiresGrad(true)
	q := tl.Ones(2).SetRequiresGrad(true)
	opt := NewSGD([]*tl.Tensor{p, q}, 0.1)
	p.Mul(p).Sum().Backward()
	g := p.Grad()
	opt.ZeroGrad()
	if p.Grad() != g || !allZero(g) {
		t.Fatalf("ZeroGrad should zero the gradient in place: %v", p.Grad())
	}
	if q.Grad() != nil {
		t.Fatalf("ZeroGrad gave a parameter without gradient one")
	}
	p.Mul(p).Sum().Backward()
	if got := p.Grad().Float32s(); got[0] != 2 {
		t.Fatalf("gradient after ZeroGrad and Backward: %v", got)
	}
	opt.ZeroGradToNil()
	if p.Grad() != nil {
		t.Fatalf("ZeroGradToNil left %v", p.Grad())
	}
}

func allZero(t *tl.Tensor) bool {
	for _, v := range t.Float64s() {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestStepSkipsParamsWithoutGrad: a parameter without a gradient is left
// alone and gets no state, as in PyTorch.
func TestStepSkipsParamsWithoutGrad(t *testing.T) {
	for _, mk := range []func([]*tl.Tensor) Optimizer{
		func(ps []*tl.Tensor) Optimizer { return NewSGD(ps, 0.1, SGDOptions{Momentum: 0.9, WeightDecay: 0.1}) },
		func(ps []*tl.Tensor) Optimizer { return NewAdam(ps) },
		func(ps []*tl.Tensor) Optimizer { return NewAdamW(ps) },
		func(ps []*tl.Tensor) Optimizer { return NewRMSprop(ps, RMSpropOptions{Momentum: 0.5, Centered: true}) },
	} {
		p := tl.Ones(3).SetRequiresGrad(true)
		q := tl.Ones(2).SetRequiresGrad(true)
		opt := mk([]*tl.Tensor{p, q})
		p.SetGrad(tl.Ones(3))
		opt.Step()
		if got := q.Float32s(); got[0] != 1 || got[1] != 1 {
			t.Fatalf("%T changed a parameter without gradient: %v", opt, got)
		}
		if _, ok := opt.StateDict().State[1]; ok {
			t.Fatalf("%T made state for a parameter without gradient", opt)
		}
		if p.Float32s()[0] == 1 {
			t.Fatalf("%T did not update the parameter with a gradient", opt)
		}
		if p.Grad().Float32s()[0] != 1 {
			t.Fatalf("%T modified the gradient", opt)
		}
	}
}

func TestStepDoesNotRecordGraph(t *testing.T) {
	p := tl.Ones(3).SetRequiresGrad(true)
	opt := NewAdam([]*tl.Tensor{p})
	p.Mul(p).Sum().Backward()
	v := p.Version()
	opt.Step()
	if p.GradFn() != nil || !p.IsLeaf() || !p.RequiresGrad() {
		t.Fatalf("Step turned the parameter into a non-leaf: %v", p.GradFn())
	}
	if p.Version() == v {
		t.Fatalf("Step did not update the parameter in place")
	}
}

func TestSetHyperTakesEffect(t *testing.T) {
	p := tl.Zeros(1).SetRequiresGrad(true)
	opt := NewSGD([]*tl.Tensor{p}, 0.1)
	opt.ParamGroups()[0].SetLR(0.5)
	p.SetGrad(tl.Ones(1))
	opt.Step()
	if got := p.Item(); got != -0.5 {
		t.Fatalf("after SetLR(0.5): %v", got)
	}
	g := opt.ParamGroups()[0]
	g.Set("momentum", 1) // an int becomes float64
	if g.Float("momentum") != 1 {
		t.Fatalf("Set(int): %v", g.Hyper["momentum"])
	}
	if e := catch(t, func() { g.Set("momentum", struct{}{}) }); e == nil {
		t.Fatalf("Set of a struct should panic")
	}
	if e := catch(t, func() { g.Bool("lr") }); e == nil {
		t.Fatalf("Bool of a number should panic")
	}
}

func TestAddParamGroup(t *testing.T) {
	p := tl.Zeros(1).SetRequiresGrad(true)
	q := tl.Zeros(2).SetRequiresGrad(true)
	opt := NewAdam([]*tl.Tensor{p}, AdamOptions{LR: 0.01, AMSGrad: true})
	opt.AddParamGroup(ParamGroup{Params: []*tl.Tensor{q}, Hyper: Hyper{"lr": 0.1}})
	g := opt.ParamGroups()[1]
	if g.LR() != 0.1 || !g.Bool("amsgrad") || g.Pair("betas") != [2]float64{0.9, 0.999} {
		t.Fatalf("added group: %v", g.Hyper)
	}
	if e := catch(t, func() { opt.AddParamGroup(ParamGroup{Params: []*tl.Tensor{p}}) }); e == nil {
		t.Fatalf("adding a parameter twice should panic")
	}
	if s := fmt.Sprint(opt); !strings.Contains(s, "Parameter Group 1") || !strings.Contains(s, "amsgrad: True") {
		t.Fatalf("String: %s", s)
	}
}

func TestDefaults(t *testing.T) {
	p := tl.Zeros(1).SetRequiresGrad(true)
	cases := []struct {
		opt  Optimizer
		want Hyper
	}{
		{NewSGD([]*tl.Tensor{p}, 0.1), Hyper{"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": false, "maximize": false}},
		{NewAdam([]*tl.Tensor{p}), Hyper{"lr": 1e-3, "betas": [2]float64{0.9, 0.999}, "eps": 1e-8, "weight_decay": 0.0, "amsgrad": false, "maximize": false}},
		{NewAdamW([]*tl.Tensor{p}), Hyper{"lr": 1e-3, "betas": [2]float64{0.9, 0.999}, "eps": 1e-8, "weight_decay": 1e-2, "amsgrad": false, "maximize": false}},
		{NewRMSprop([]*tl.Tensor{p}), Hyper{"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": false, "maximize": false}},
		{NewAdagrad([]*tl.Tensor{p}), Hyper{"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10, "maximize": false}},
	}
	for _, c := range cases {
		d := c.opt.Defaults()
		if len(d) != len(c.want) {
			t.Errorf("%T defaults %v, want %v", c.opt, d, c.want)
			continue
		}
		for k, v := range c.want {
			if d[k] != v {
				t.Errorf("%T default %s = %v, want %v", c.opt, k, d[k], v)
			}
		}
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	mk := func() (*Adam, []*tl.Tensor) {
		ps := []*tl.Tensor{tl.Zeros(2).SetRequiresGrad(true), tl.Zeros(3).SetRequiresGrad(true)}
		opt := NewAdam(ps)
		for _, p := range ps {
			p.SetGrad(tl.OnesLike(p))
		}
		opt.Step()
		return opt, ps
	}
	src, _ := mk()
	good := src.StateDict()
	cases := []struct {
		name string
		edit func(sd *StateDict)
		want string
	}{
		{"groups", func(sd *StateDict) { sd.ParamGroups = append(sd.ParamGroups, sd.ParamGroups[0]) }, "number of parameter groups"},
		{"params", func(sd *StateDict) { sd.ParamGroups[0].Params = sd.ParamGroups[0].Params[:1] }, "doesn't match the size"},
		{"shape", func(sd *StateDict) { sd.State[1]["exp_avg"] = tl.Zeros(2) }, "has shape [2], but the parameter has shape [3]"},
		{"missing", func(sd *StateDict) { delete(sd.State[0], "exp_avg_sq") }, `lacks "exp_avg_sq"`},
		{"amsgrad", func(sd *StateDict) { sd.ParamGroups[0].Hyper["amsgrad"] = true }, `lacks "max_exp_avg_sq"`},
		{"unknown", func(sd *StateDict) { sd.State[7] = map[string]*tl.Tensor{} }, "parameter number 7"},
		{"hyper", func(sd *StateDict) { sd.ParamGroups[0].Hyper["lr"] = "x" }, `"lr" must be a number`},
		{"step", func(sd *StateDict) { sd.State[0]["step"] = tl.Zeros(2) }, "single value"},
	}
	for _, c := range cases {
		b, _ := json.Marshal(good)
		var sd StateDict
		if err := json.Unmarshal(b, &sd); err != nil {
			t.Fatal(err)
		}
		c.edit(&sd)
		dst, ps := mk()
		before, _ := json.Marshal(dst.StateDict())
		err := dst.LoadStateDict(&sd)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
		after, _ := json.Marshal(dst.StateDict())
		if string(before) != string(after) {
			t.Errorf("%s: a failed load changed the optimizer", c.name)
		}
		_ = ps
	}
	dst, _ := mk()
	if err := dst.LoadStateDict(nil); err == nil {
		t.Errorf("nil state dict: no error")
	}
	if err := dst.LoadStateDict(good); err != nil {
		t.Errorf("good state dict: %v", err)
	}
}

// TestLoadStateDictCopies: the loaded state is a copy, and a float64 state
// is converted to the parameters' float32.
func TestLoadStateDictCopies(t *testing.T) {
	p := tl.Zeros(2).SetRequiresGrad(true)
	opt := NewSGD([]*tl.Tensor{p}, 0.1, SGDOptions{Momentum: 0.9})
	buf := tl.FromFloat64s([]float64{1, 2})
	sd := &StateDict{
		State:       map[int]map[string]*tl.Tensor{5: {"momentum_buffer": buf}},
		ParamGroups: []GroupState{{Hyper: Hyper{"lr": 0.2}, Params: []int{5}}},
	}
	if err := opt.LoadStateDict(sd); err != nil {
		t.Fatal(err)
	}
	st := opt.State(p)["momentum_buffer"]
	if st.DType() != tl.Float32 || st.SharesStorage(buf) {
		t.Fatalf("loaded buffer %v shares storage or keeps dtype", st)
	}
	g := opt.ParamGroups()[0]
	if g.LR() != 0.2 || g.Float("momentum") != 0.9 {
		t.Fatalf("loaded hyper-parameters %v (missing ones take the defaults)", g.Hyper)
	}
}

func TestStateDictJSONErrors(t *testing.T) {
	cases := []string{
		`{"state": {"x": {}}, "param_groups": []}`,
		`{"state": {"0": {"s": {"dtype": "float32", "shape": [3], "data": [1, 2]}}}, "param_groups": []}`,
		`{"state": {"0": {"s": {"dtype": "float32", "shape": [-1], "data": []}}}, "param_groups": []}`,
		`{"state": {"0": {"s": {"dtype": "float32", "shape": [1000000000, 1000000000, 1000000000], "data": [1]}}}, "param_groups": []}`,
		`{"state": {"0": {"s": {"dtype": "complex", "shape": [1], "data": [1]}}}, "param_groups": []}`,
		`{"state": {"0": {"s": {"dtype": "float32", "shape": [1], "data": ["x"]}}}, "param_groups": []}`,
		`{"state": {"0": {"s": {"dtype": "int64", "shape": [1], "data": [1.5]}}}, "param_groups": []}`,
		`{"state": {}, "param_groups": [{"lr": 0.1}]}`,
		`{"state": {}, "param_groups": [{"lr": {"a": 1}, "params": [0]}]}`,
		`{"state": {}, "param_groups": [{"params": ["a"]}]}`,
		`[1, 2]`,
		`{"state": `,
	}
	for _, c := range cases {
		var sd StateDict
		if err := json.Unmarshal([]byte(c), &sd); err == nil {
			t.Errorf("%s: no error", c)
		}
	}
	// Special values and PyTorch's extra keys round-trip.
	in := `{"state":{"0":{"step":{"dtype":"float32","shape":[],"data":[3]},"v":{"dtype":"float32","shape":[3],"data":["nan","inf",-0.5]}}},` +
		`"param_groups":[{"betas":[0.9,0.999],"foreach":null,"lr":0.1,"name":"w","params":[0]}]}`
	var sd StateDict
	if err := json.Unmarshal([]byte(in), &sd); err != nil {
		t.Fatal(err)
	}
	v := sd.State[0]["v"].Float64s()
	if !math.IsNaN(v[0]) || !math.IsInf(v[1], 1) || v[2] != -0.5 || sd.State[0]["step"].Dim() != 0 {
		t.Fatalf("decoded %v", sd.State[0])
	}
	out, err := json.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"state":{"0":{"step":{"dtype":"float32","shape":[],"data":[3]},"v":{"dtype":"float32","shape":[3],"data":["nan","inf",-0.5]}}},` +
		`"param_groups":[{"betas":[0.9,0.999],"lr":0.1,"name":"w","params":[0]}]}`
	if string(out) != want {
		t.Fatalf("re-encoded\n%s\nwant\n%s", out, want)
	}
}
