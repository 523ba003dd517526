package optim

import (
	"fmt"
	"sort"

	tl "github.com/gotensor/gt/tensorlib"
)

// StateDict is an optimizer's state in the layout of PyTorch's
// Optimizer.state_dict(): parameters are numbered across all groups in
// order, State holds each stepped parameter's state tensors under that
// number, and ParamGroups each group's hyper-parameters with its
// parameters' numbers. It marshals to and from JSON (see MarshalJSON).
type StateDict struct {
	State       map[int]map[string]*tl.Tensor
	ParamGroups []GroupState
}

// GroupState is one parameter group in a StateDict.
type GroupState struct {
	Hyper  Hyper
	Params []int
}

// StateDict returns a snapshot of the optimizer's state: the tensors are
// copies (PyTorch returns references), so training on does not change it.
func (b *base) StateDict() *StateDict {
	sd := &StateDict{State: map[int]map[string]*tl.Tensor{}}
	idx := 0
	for _, g := range b.groups {
		gs := GroupState{Hyper: copyHyper(g.Hyper), Params: make([]int, len(g.Params))}
		for i, p := range g.Params {
			gs.Params[i] = idx
			if st, ok := b.state[p]; ok {
				m := make(map[string]*tl.Tensor, len(st))
				for k, t := range st {
					if t != nil {
						t = t.Detach().Clone()
					}
					m[k] = t
				}
				sd.State[idx] = m
			}
			idx++
		}
		sd.ParamGroups = append(sd.ParamGroups, gs)
	}
	return sd
}

// LoadStateDict replaces the optimizer's hyper-parameters and state with
// copies of sd's, as PyTorch's load_state_dict does: the optimizer must have
// as many groups, each with as many parameters, as sd, and sd's parameter
// numbers map to the optimizer's parameters in order. Hyper-parameters sd
// lacks take the defaults; floating-point state tensors are converted to
// their parameter's dtype. It returns an error, changing nothing, when the
// group or parameter counts differ, a state tensor's shape differs from its
// parameter's, state the optimizer needs is missing, a parameter number is
// unknown, or a hyper-parameter is invalid.
func (b *base) LoadStateDict(sd *StateDict) error {
	if sd == nil {
		return fmt.Errorf("optim.%s.LoadStateDict: nil state dict", b.name)
	}
	errf := func(format string, args ...any) error {
		return fmt.Errorf("optim.%s.LoadStateDict: %s", b.name, fmt.Sprintf(format, args...))
	}
	if len(sd.ParamGroups) != len(b.groups) {
		return errf("loaded state dict has a different number of parameter groups (%d, optimizer has %d)", len(sd.ParamGroups), len(b.groups))
	}
	idMap := map[int]*tl.Tensor{}
	hypers := make([]Hyper, len(b.groups))
	for gi, g := range b.groups {
		sg := sd.ParamGroups[gi]
		if len(sg.Params) != len(g.Params) {
			return errf("loaded state dict contains a parameter group that doesn't match the size of optimizer's group (group %d: %d parameters, optimizer has %d)", gi, len(sg.Params), len(g.Params))
		}
		for i, id := range sg.Params {
			if _, dup := idMap[id]; dup {
				return errf("parameter number %d appears twice", id)
			}
			idMap[id] = g.Params[i]
		}
		h := Hyper{}
		for k, v := range sg.Hyper {
			if v == nil {
				continue
			}
			nv, err := normalize(v)
			if err != nil {
				return errf("group %d: hyper-parameter %q: %v", gi, k, err)
			}
			h[k] = nv
		}
		for k, v := range b.defaults {
			if _, ok := h[k]; !ok {
				h[k] = v
			}
		}
		if msg := b.spec.validate(h); msg != "" {
			return errf("group %d: %s", gi, msg)
		}
		hypers[gi] = h
	}
	ids := make([]int, 0, len(sd.State))
	for id := range sd.State {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	state := map[*tl.Tensor]map[string]*tl.Tensor{}
	for _, id := range ids {
		p, ok := idMap[id]
		if !ok {
			return errf("state for parameter number %d, which no group lists", id)
		}
		m := map[string]*tl.Tensor{}
		for k, t := range sd.State[id] {
			if t == nil {
				continue
			}
			if k == "step" {
				if t.Numel() != 1 {
					return errf("parameter %d: state %q has shape %v, want a single value", id, k, t.Shape())
				}
				m[k] = t.Detach().Clone()
				continue
			}
			if !sameShape(t.Shape(), p.Shape()) {
				return errf("parameter %d: state %q has shape %v, but the parameter has shape %v", id, k, t.Shape(), p.Shape())
			}
			c := t.Detach()
			if c.DType().IsFloat() && c.DType() != p.DType() {
				c = c.To(p.DType())
			}
			m[k] = c.Clone()
		}
		state[p] = m
	}
	// Check the state of every parameter holds what its group's settings need.
	for gi, g := range b.groups {
		tmp := &ParamGroup{Params: g.Params, Hyper: hypers[gi]}
		need := b.stateKeys(tmp)
		for i, p := range g.Params {
			m, ok := state[p]
			if !ok {
				continue
			}
			for _, k := range need {
				if m[k] == nil {
					return errf("state of parameter %d lacks %q", sd.ParamGroups[gi].Params[i], k)
				}
			}
		}
	}
	for gi, g := range b.groups {
		g.Hyper = hypers[gi]
	}
	if b.initState != nil {
		for _, g := range b.groups {
			for _, p := range g.Params {
				if _, ok := state[p]; !ok {
					state[p] = b.initState(p, g)
				}
			}
		}
	}
	b.state = state
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
