package tensorlib

// Function is a custom differentiable op, like torch.autograd.Function: its
// Forward computes the output from the inputs without recording a graph, and
// its Backward maps the output's gradient to one gradient per input (nil for
// inputs that need none). Layers and losses whose gradient is simpler or
// cheaper than the composition of primitive ops are written as Functions.
//
//	square := tl.Function{
//		Name:     "SquareBackward0",
//		Forward:  func(in []*tl.Tensor) *tl.Tensor { return in[0].Mul(in[0]) },
//		Backward: func(in []*tl.Tensor, out, g *tl.Tensor) []*tl.Tensor { return []*tl.Tensor{g.Mul(in[0]).MulScalar(2)} },
//	}
//	y := square.Apply(x)
type Function struct {
	// Name is the node's name in the graph, e.g. "MseLossBackward0".
	Name string
	// Forward computes the output; it runs with grad mode off.
	Forward func(inputs []*Tensor) *Tensor
	// Backward returns the gradients of the inputs given the output's
	// gradient; it runs with grad mode off. Inputs and the output are saved
	// for it, and modifying them in place before Backward is an error.
	Backward func(inputs []*Tensor, output, grad *Tensor) []*Tensor
}

// Apply runs the function on inputs, recording a node when any input
// requires grad. nil inputs are allowed (they receive no gradient).
func (f Function) Apply(inputs ...*Tensor) *Tensor {
	var out *Tensor
	NoGrad(func() { out = f.Forward(inputs) })
	if out == nil {
		fail(f.Name, "Forward returned nil")
	}
	if needsGrad(inputs...) {
		if out.gradFn != nil || out.requiresGrad {
			out = out.Detach()
		}
		if !out.dtype.IsFloat() {
			return out
		}
		if out.base != nil {
			out = out.Clone() // a view of an input must not share its graph slot
		}
		saved := make([]*Tensor, 0, len(inputs)+1)
		for _, in := range inputs {
			if in != nil {
				saved = append(saved, in)
			}
		}
		saved = append(saved, out)
		record(out, f.Name, inputs, saved, func(g *Tensor) []*Tensor {
			grads := f.Backward(inputs, out, g)
			if len(grads) != len(inputs) {
				fail(f.Name, "Backward returned %d gradients for %d inputs", len(grads), len(inputs))
			}
			for i, gi := range grads {
				if gi != nil && inputs[i] != nil {
					grads[i] = gradFor(gi, inputs[i])
				}
			}
			return grads
		})
	}
	return out
}
