package optim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Optimizer is implemented by every optimizer of this package.
type Optimizer interface {
	// Step applies one update to every parameter with a gradient.
	Step()
	// ZeroGrad zeroes every parameter's gradient in place (PyTorch 1.13's
	// zero_grad() default, set_to_none=False); parameters without a
	// gradient keep none.
	ZeroGrad()
	// ZeroGradToNil sets every parameter's gradient to nil
	// (zero_grad(set_to_none=True)): less memory, and the next Step skips
	// parameters that receive no gradient instead of updating them with a
	// zero one (momentum and weight decay still move those).
	ZeroGradToNil()
	// ParamGroups returns the optimizer's live parameter groups.
	ParamGroups() []*ParamGroup
	// AddParamGroup appends a group; hyper-parameters it does not set take
	// the optimizer's defaults.
	AddParamGroup(g ParamGroup)
	// Defaults returns a copy of the hyper-parameters new groups start from.
	Defaults() Hyper
	// StateDict returns a snapshot of the optimizer's state.
	StateDict() *StateDict
	// LoadStateDict restores a state saved by StateDict.
	LoadStateDict(sd *StateDict) error
}

// Hyper maps PyTorch's hyper-parameter names ("lr", "momentum", "betas", …)
// to values: float64 for numbers (other Go numbers are converted), bool for
// flags, [2]float64 for "betas", and strings.
type Hyper map[string]any

// Float and Int return pointers to v, for the options fields that
// distinguish an explicit zero from the default.
func Float(v float64) *float64 { return &v }

// Int returns a pointer to v (see Float).
func Int(v int) *int { return &v }

// ParamGroup is a list of parameters with their own hyper-parameters.
type ParamGroup struct {
	Params []*tl.Tensor
	Hyper  Hyper
}

// LR returns the group's learning rate.
func (g *ParamGroup) LR() float64 { return g.Float("lr") }

// SetLR sets the group's learning rate.
func (g *ParamGroup) SetLR(lr float64) { g.Set("lr", lr) }

// Float returns the number stored under name; it panics with a *tl.Error
// when there is none.
func (g *ParamGroup) Float(name string) float64 {
	v, ok := g.Hyper[name].(float64)
	if !ok {
		panic(&tl.Error{Op: "ParamGroup.Float", Msg: fmt.Sprintf("hyper-parameter %q is %s, not a number", name, describe(g.Hyper, name))})
	}
	return v
}

// Bool returns the flag stored under name; it panics with a *tl.Error when
// there is none.
func (g *ParamGroup) Bool(name string) bool {
	v, ok := g.Hyper[name].(bool)
	if !ok {
		panic(&tl.Error{Op: "ParamGroup.Bool", Msg: fmt.Sprintf("hyper-parameter %q is %s, not a bool", name, describe(g.Hyper, name))})
	}
	return v
}

// Pair returns the pair stored under name ("betas"); it panics with a
// *tl.Error when there is none.
func (g *ParamGroup) Pair(name string) [2]float64 {
	v, ok := g.Hyper[name].([2]float64)
	if !ok {
		panic(&tl.Error{Op: "ParamGroup.Pair", Msg: fmt.Sprintf("hyper-parameter %q is %s, not a pair", name, describe(g.Hyper, name))})
	}
	return v
}

// Set stores v under name, converted as Hyper describes; it panics with a
// *tl.Error for values of other types.
func (g *ParamGroup) Set(name string, v any) {
	nv, err := normalize(v)
	if err != nil {
		panic(&tl.Error{Op: "ParamGroup.Set", Msg: fmt.Sprintf("hyper-parameter %q: %v", name, err)})
	}
	if g.Hyper == nil {
		g.Hyper = Hyper{}
	}
	g.Hyper[name] = nv
}

func describe(h Hyper, name string) string {
	v, ok := h[name]
	if !ok {
		return "missing"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// normalize converts a hyper-parameter value to float64, bool, [2]float64 or
// string.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case float64, bool, string, [2]float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case []float64:
		if len(x) == 2 {
			return [2]float64{x[0], x[1]}, nil
		}
	}
	return nil, fmt.Errorf("unsupported value %v (%T): want a number, bool, string or [2]float64", v, v)
}

// copyHyper returns a shallow copy of h (its values are immutable).
func copyHyper(h Hyper) Hyper {
	c := make(Hyper, len(h))
	for k, v := range h {
		c[k] = v
	}
	return c
}

// hyperSpec describes one optimizer's hyper-parameters: their kinds, for
// validation, and the check of their values.
type hyperSpec struct {
	floats, bools, pairs []string
	check                func(h Hyper) string // "" when valid
}

// validate checks h holds every hyper-parameter of the spec with the right
// type and valid values, returning a message otherwise.
func (s *hyperSpec) validate(h Hyper) string {
	var bad []string
	for _, k := range s.floats {
		if _, ok := h[k].(float64); !ok {
			bad = append(bad, fmt.Sprintf("%q must be a number (got %s)", k, describe(h, k)))
		}
	}
	for _, k := range s.bools {
		if _, ok := h[k].(bool); !ok {
			bad = append(bad, fmt.Sprintf("%q must be a bool (got %s)", k, describe(h, k)))
		}
	}
	for _, k := range s.pairs {
		if _, ok := h[k].([2]float64); !ok {
			bad = append(bad, fmt.Sprintf("%q must be a pair of numbers (got %s)", k, describe(h, k)))
		}
	}
	if len(bad) > 0 {
		return strings.Join(bad, "; ")
	}
	if s.check != nil {
		return s.check(h)
	}
	return ""
}

// base holds what every optimizer shares: the groups, the per-parameter
// state and the defaults. Optimizers embed it and add Step.
type base struct {
	name     string // "SGD", for errors
	defaults Hyper
	spec     *hyperSpec
	groups   []*ParamGroup
	state    map[*tl.Tensor]map[string]*tl.Tensor
	// stateKeys lists the state a parameter of group g holds once it has
	// been stepped, for LoadStateDict's checks.
	stateKeys func(g *ParamGroup) []string
	// initState, when set, creates a parameter's state when it joins the
	// optimizer (Adagrad does so; the others create it at the first step).
	initState func(p *tl.Tensor, g *ParamGroup) map[string]*tl.Tensor
}

func newBase(name string, defaults Hyper, spec *hyperSpec) *base {
	b := &base{name: name, defaults: defaults, spec: spec, state: map[*tl.Tensor]map[string]*tl.Tensor{}}
	if msg := spec.validate(defaults); msg != "" {
		b.fail("New%s: %s", name, msg)
	}
	return b
}

// fail panics with a *tl.Error for the optimizer.
func (b *base) fail(format string, args ...any) {
	panic(&tl.Error{Op: "optim." + b.name, Msg: fmt.Sprintf(format, args...)})
}

// addGroups adds the constructor's groups, panicking on an empty list.
func (b *base) addGroups(groups []ParamGroup) {
	if len(groups) == 0 {
		b.fail("optimizer got an empty parameter list")
	}
	for _, g := range groups {
		b.AddParamGroup(g)
	}
}

// ParamGroups returns the live parameter groups.
func (b *base) ParamGroups() []*ParamGroup { return b.groups }

// Defaults returns a copy of the default hyper-parameters.
func (b *base) Defaults() Hyper { return copyHyper(b.defaults) }

// AddParamGroup appends g (its Params slice and Hyper map are copied):
// missing hyper-parameters take the defaults. It panics with a *tl.Error
// when g has no parameters, a parameter is not a floating-point leaf, is
// repeated or already in another group, or a hyper-parameter is invalid.
func (b *base) AddParamGroup(g ParamGroup) {
	if len(g.Params) == 0 {
		b.fail("a parameter group has no parameters")
	}
	seen := map[*tl.Tensor]bool{}
	for _, og := range b.groups {
		for _, p := range og.Params {
			seen[p] = true
		}
	}
	own := map[*tl.Tensor]bool{}
	for i, p := range g.Params {
		switch {
		case p == nil:
			b.fail("parameter %d of the group is nil", i)
		case !p.DType().IsFloat():
			b.fail("can only optimize floating-point tensors, but parameter %d is %v", i, p.DType())
		case !p.IsLeaf():
			b.fail("can't optimize a non-leaf Tensor (parameter %d)", i)
		case own[p]:
			b.fail("parameter %d appears twice in the group", i)
		case seen[p]:
			b.fail("some parameters appear in more than one parameter group")
		}
		own[p] = true
	}
	ng := &ParamGroup{Params: append([]*tl.Tensor{}, g.Params...), Hyper: Hyper{}}
	for k, v := range g.Hyper {
		nv, err := normalize(v)
		if err != nil {
			b.fail("hyper-parameter %q: %v", k, err)
		}
		ng.Hyper[k] = nv
	}
	for k, v := range b.defaults {
		if _, ok := ng.Hyper[k]; !ok {
			ng.Hyper[k] = v
		}
	}
	if msg := b.spec.validate(ng.Hyper); msg != "" {
		b.fail("%s", msg)
	}
	b.groups = append(b.groups, ng)
	if b.initState != nil {
		for _, p := range ng.Params {
			b.state[p] = b.initState(p, ng)
		}
	}
}

// ZeroGrad zeroes the gradients in place (detaching any that carry a
// graph), as PyTorch 1.13's zero_grad() does by default.
func (b *base) ZeroGrad() {
	tl.NoGrad(func() {
		for _, g := range b.groups {
			for _, p := range g.Params {
				gr := p.Grad()
				if gr == nil {
					continue
				}
				if gr.GradFn() != nil || gr.RequiresGrad() {
					gr = gr.Detach()
					p.SetGrad(gr)
				}
				gr.ZeroInPlace()
			}
		}
	})
}

// ZeroGradToNil sets the gradients to nil (zero_grad(set_to_none=True)).
func (b *base) ZeroGradToNil() {
	for _, g := range b.groups {
		for _, p := range g.Params {
			p.SetGrad(nil)
		}
	}
}

// State returns the state tensors of parameter p (nil before its first
// step). They are the optimizer's own: modifying them changes the next step.
func (b *base) State(p *tl.Tensor) map[string]*tl.Tensor { return b.state[p] }

// paramState returns p's state map, creating an empty one.
func (b *base) paramState(p *tl.Tensor) map[string]*tl.Tensor {
	s, ok := b.state[p]
	if !ok {
		s = map[string]*tl.Tensor{}
		b.state[p] = s
	}
	return s
}

// String lists the groups' hyper-parameters as PyTorch's repr does.
func (b *base) String() string {
	var sb strings.Builder
	sb.WriteString(b.name + " (")
	for i, g := range b.groups {
		fmt.Fprintf(&sb, "\nParameter Group %d\n", i)
		keys := make([]string, 0, len(g.Hyper))
		for k := range g.Hyper {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&sb, "    %s: %s\n", k, formatHyper(g.Hyper[k]))
		}
	}
	sb.WriteString(")")
	return sb.String()
}

// formatHyper prints a value as Python would.
func formatHyper(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case [2]float64:
		return fmt.Sprintf("(%v, %v)", x[0], x[1])
	}
	return fmt.Sprint(v)
}

// fmtFloat prints v as Python's repr would for messages.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
