package optim

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// optCase is one optimizer trajectory of optim.json.
type optCase struct {
	Name     string                     `json:"name"`
	Kind     string                     `json:"kind"`
	Defaults map[string]json.RawMessage `json:"defaults"`
	Groups   []struct {
		Params []int                      `json:"params"`
		Hyper  map[string]json.RawMessage `json:"hyper"`
	} `json:"groups"`
	DType  string              `json:"dtype"`
	Params []json.RawMessage   `json:"params"`
	Grads  [][]json.RawMessage `json:"grads"`
	Steps  []struct {
		Params []json.RawMessage                     `json:"params"`
		State  map[string]map[string]json.RawMessage `json:"state"`
	} `json:"steps"`
	SaveAt    int             `json:"save_at"`
	StateDict json.RawMessage `json:"state_dict"`
}

// Tolerances for optimizer trajectories: PyTorch fuses some multiply-adds
// that tensorlib rounds twice, so values drift by a few float32 ulps.
const (
	optRel32, optAbs32 = 1e-6, 1e-7
	optRel64, optAbs64 = 1e-12, 1e-14
)

func (c *optCase) tol() (float64, float64) {
	if c.DType == "float64" {
		return optRel64, optAbs64
	}
	return optRel32, optAbs32
}

// build returns the case's optimizer over params, with PyTorch's
// defaults for settings the case leaves out.
func (c *optCase) build(t *testing.T, params []*tl.Tensor) Optimizer {
	t.Helper()
	d := goldenHyper(t, c.Defaults)
	f := func(k string) float64 {
		if v, ok := d[k]; ok {
			return v.(float64)
		}
		return 0
	}
	bl := func(k string) bool {
		if v, ok := d[k]; ok {
			return v.(bool)
		}
		return false
	}
	var betas [2]float64
	if v, ok := d["betas"]; ok {
		betas = v.([2]float64)
	}
	groups := []ParamGroup{{Params: params}}
	if c.Groups != nil {
		groups = nil
		for _, g := range c.Groups {
			var ps []*tl.Tensor
			for _, i := range g.Params {
				ps = append(ps, params[i])
			}
			groups = append(groups, ParamGroup{Params: ps, Hyper: goldenHyper(t, g.Hyper)})
		}
	}
	switch c.Kind {
	case "sgd":
		return NewSGDGroups(groups, f("lr"), SGDOptions{Momentum: f("momentum"), Dampening: f("dampening"),
			WeightDecay: f("weight_decay"), Nesterov: bl("nesterov"), Maximize: bl("maximize")})
	case "adam":
		return NewAdamGroups(groups, AdamOptions{LR: f("lr"), Betas: betas, Eps: f("eps"), WeightDecay: f("weight_decay"),
			AMSGrad: bl("amsgrad"), Maximize: bl("maximize")})
	case "adamw":
		return NewAdamWGroups(groups, AdamWOptions{LR: f("lr"), Betas: betas, Eps: f("eps"), WeightDecay: f("weight_decay"),
			AMSGrad: bl("amsgrad"), Maximize: bl("maximize")})
	case "rmsprop":
		return NewRMSpropGroups(groups, RMSpropOptions{LR: f("lr"), Alpha: f("alpha"), Eps: f("eps"), WeightDecay: f("weight_decay"),
			Momentum: f("momentum"), Centered: bl("centered"), Maximize: bl("maximize")})
	case "adagrad":
		return NewAdagradGroups(groups, AdagradOptions{LR: f("lr"), LRDecay: f("lr_decay"), WeightDecay: f("weight_decay"),
			InitialAccumulatorValue: f("initial_accumulator_value"), Eps: f("eps"), Maximize: bl("maximize")})
	}
	t.Fatalf("unknown optimizer kind %q", c.Kind)
	return nil
}

// leaves decodes tensors as parameters that require grad.
func leaves(t *testing.T, raws []json.RawMessage) []*tl.Tensor {
	var ps []*tl.Tensor
	for _, r := range raws {
		ps = append(ps, goldenTensor(t, r).SetRequiresGrad(true))
	}
	return ps
}

// setGrads installs step k's gradients (nil where the case has none).
func (c *optCase) setGrads(t *testing.T, params []*tl.Tensor, k int) {
	for i, p := range params {
		p.SetGrad(goldenTensor(t, c.Grads[k][i]))
	}
}

// check compares the parameters and the optimizer's state after step k.
func (c *optCase) check(t *testing.T, opt Optimizer, params []*tl.Tensor, k int, worst *float64) {
	t.Helper()
	rel, abs := c.tol()
	want := c.Steps[k]
	for i, p := range params {
		msg, w := compareTensors(p, goldenTensor(t, want.Params[i]), rel, abs)
		*worst = math.Max(*worst, w)
		if msg != "" {
			t.Fatalf("step %d: param %d: %s", k+1, i, msg)
		}
	}
	sd := opt.StateDict()
	if len(sd.State) != len(want.State) {
		t.Fatalf("step %d: state for %d params, want %d", k+1, len(sd.State), len(want.State))
	}
	for key, ws := range want.State {
		var id int
		fmt.Sscan(key, &id)
		gs, ok := sd.State[id]
		if !ok {
			t.Fatalf("step %d: no state for param %d", k+1, id)
		}
		if len(gs) != len(ws) {
			t.Fatalf("step %d: param %d: state keys %v, want %v", k+1, id, keysOf(gs), ws)
		}
		for name, raw := range ws {
			wt := goldenTensor(t, raw)
			gt, ok := gs[name]
			if !ok {
				t.Fatalf("step %d: param %d: no state %q", k+1, id, name)
			}
			msg, w := compareTensors(gt, wt, rel, abs)
			if name != "step" {
				*worst = math.Max(*worst, w)
			}
			if msg != "" {
				t.Fatalf("step %d: param %d: state %q: %s", k+1, id, name, msg)
			}
		}
	}
}

func keysOf(m map[string]*tl.Tensor) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestOptimizersGolden runs every case's 20 steps and compares the
// parameters and the state with PyTorch's after each.
func TestOptimizersGolden(t *testing.T) {
	for _, c := range loadGolden(t).Optimizers {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			params := leaves(t, c.Params)
			opt := c.build(t, params)
			worst := 0.0
			for k := range c.Steps {
				c.setGrads(t, params, k)
				opt.Step()
				c.check(t, opt, params, k, &worst)
			}
			t.Logf("largest relative difference: %.3g", worst)
		})
	}
}

// TestOptimizersLoadTorchStateDict loads PyTorch's state_dict after SaveAt
// steps into a fresh optimizer over PyTorch's parameters at that point and
// checks the continuation matches PyTorch's.
func TestOptimizersLoadTorchStateDict(t *testing.T) {
	for _, c := range loadGolden(t).Optimizers {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			params := leaves(t, c.Steps[c.SaveAt-1].Params)
			opt := c.build(t, params)
			var sd StateDict
			if err := json.Unmarshal(c.StateDict, &sd); err != nil {
				t.Fatal(err)
			}
			if err := opt.LoadStateDict(&sd); err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for k := c.SaveAt; k < len(c.Steps); k++ {
				c.setGrads(t, params, k)
				opt.Step()
				c.check(t, opt, params, k, &worst)
			}
		})
	}
}

// TestOptimizersStateDictRoundTrip saves the state mid-training through
// JSON, loads it into a new optimizer over copies of the parameters, and
// checks both continue bit for bit alike.
func TestOptimizersStateDictRoundTrip(t *testing.T) {
	for _, c := range loadGolden(t).Optimizers {
		c := c
		t.Run(c.Name, func(t *testing.T) {
			params := leaves(t, c.Params)
			opt := c.build(t, params)
			for k := 0; k < c.SaveAt; k++ {
				c.setGrads(t, params, k)
				opt.Step()
			}
			b, err := json.Marshal(opt.StateDict())
			if err != nil {
				t.Fatal(err)
			}
			var copies []*tl.Tensor
			for _, p := range params {
				copies = append(copies, p.Detach().Clone().SetRequiresGrad(true))
			}
			opt2 := c.build(t, copies)
			var sd StateDict
			if err := json.Unmarshal(b, &sd); err != nil {
				t.Fatal(err)
			}
			if err := opt2.LoadStateDict(&sd); err != nil {
				t.Fatal(err)
			}
			for k := c.SaveAt; k < len(c.Steps); k++ {
				c.setGrads(t, params, k)
				c.setGrads(t, copies, k)
				opt.Step()
				opt2.Step()
				for i := range params {
					if msg, _ := compareTensors(copies[i], params[i], 0, 0); msg != "" {
						t.Fatalf("step %d: param %d: resumed run differs: %s", k+1, i, msg)
					}
				}
			}
			b1, _ := json.Marshal(opt.StateDict())
			b2, _ := json.Marshal(opt2.StateDict())
			if string(b1) != string(b2) {
				t.Fatalf("final state dicts differ")
			}
		})
	}
}
