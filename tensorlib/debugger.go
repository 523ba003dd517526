package tensorlib

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Debugger steps through a backward pass one node at a time, like pdb over
// PyTorch's autograd engine: each step reports the node, the gradient
// arriving at it and the gradients it sends to its inputs; Continue runs to
// the next breakpoint. Running it to the end leaves exactly the gradients
// Backward would (it drives the same engine). Steps keep the gradients they
// report, so a Debugger holds every intermediate gradient of the pass.
type Debugger struct {
	run       *BackwardRun
	graph     *Graph
	steps     []*DebugStep
	ops       map[string]bool
	params    []*Tensor
	nonFinite bool
}

// DebugStep is what one step of a Debugger did. The names in brackets are
// those Tensor accepts.
type DebugStep struct {
	Index int   // 0-based position in the pass
	Total int   // the number of nodes scheduled in the pass
	Node  *Node // the node that ran
	// GradOutput is the gradient arriving at the node (w.r.t. its op's
	// output, after hooks) ["grad_output"].
	GradOutput      *Tensor
	GradOutputStats TensorStats
	// Inputs are the nodes the op sends gradients to (Node.Next()): nil where
	// an input needs none.
	Inputs []*Node
	// GradInputs holds the gradient sent to each input ["grad_input[i]"]: nil
	// where Inputs[i] is nil; empty for AccumulateGrad.
	GradInputs      []*Tensor
	GradInputsStats []TensorStats // statistics of each non-nil GradInputs[i]
	// Saved are the tensors the op saved for backward ["saved[i]"], taken
	// before the step (which may release them).
	Saved []*Tensor
	// Leaf is the tensor an AccumulateGrad node accumulated into ["leaf"; its
	// gradient after the step is "leaf.grad"].
	Leaf *Tensor
	// Break describes the breakpoint that stopped Continue at this step, ""
	// otherwise: "op MulBackward0", "param linear.weight", "non-finite
	// gradient".
	Break string
}

// DebugBackward prepares a step-through backward pass from the scalar t
// (nothing runs until Step or Continue). It panics with *Error where
// Backward would.
func DebugBackward(t *Tensor) *Debugger { return DebugBackwardWith(t, BackwardOptions{}) }

// DebugBackwardWith is DebugBackward with an explicit output gradient and
// retain-graph control, as BackwardWith.
func DebugBackwardWith(t *Tensor, opts BackwardOptions) *Debugger {
	g := GraphOf(t) // before the pass releases saved tensors
	return &Debugger{run: NewBackwardRun(t, opts), graph: g, ops: map[string]bool{}}
}

// Graph returns the graph being run, as it was before the first step.
func (d *Debugger) Graph() *Graph { return d.graph }

// Done reports whether the pass has finished.
func (d *Debugger) Done() bool { return d.run.Next() == nil }

// Next returns the node the next Step will run, nil when done.
func (d *Debugger) Next() *Node { return d.run.Next() }

// PendingGrad returns the gradient accumulated so far for the next node.
func (d *Debugger) PendingGrad() *Tensor {
	n := d.run.Next()
	if n == nil {
		return nil
	}
	return d.run.PendingGrad(n)
}

// Current returns the last step run, nil before the first.
func (d *Debugger) Current() *DebugStep {
	if len(d.steps) == 0 {
		return nil
	}
	return d.steps[len(d.steps)-1]
}

// Steps returns every step run so far, in order.
func (d *Debugger) Steps() []*DebugStep { return append([]*DebugStep{}, d.steps...) }

// Step runs the next node and returns what it did; nil when the pass is done.
func (d *Debugger) Step() *DebugStep {
	n := d.run.Next()
	if n == nil {
		return nil
	}
	saved := n.SavedTensors()
	node, g, outs := d.run.Step()
	s := &DebugStep{
		Index:      len(d.steps),
		Total:      len(d.run.order),
		Node:       node,
		GradOutput: g,
		Inputs:     node.Next(),
		Saved:      saved,
		Leaf:       node.variable,
	}
	if g != nil {
		s.GradOutputStats = StatsOf(g)
	}
	if node.variable == nil {
		s.GradInputs = make([]*Tensor, len(node.next))
		s.GradInputsStats = make([]TensorStats, len(node.next))
		for i, next := range node.next {
			if next != nil && i < len(outs) && outs[i] != nil {
				s.GradInputs[i] = outs[i]
				s.GradInputsStats[i] = StatsOf(outs[i])
			}
		}
	}
	d.steps = append(d.steps, s)
	return s
}

// Continue runs nodes until one matching a breakpoint has run, and returns
// that step with Break set; it returns nil when the pass finishes first.
func (d *Debugger) Continue() *DebugStep {
	for {
		s := d.Step()
		if s == nil {
			return nil
		}
		if s.Break = d.hit(s); s.Break != "" {
			return s
		}
	}
}

// Run finishes the pass, ignoring breakpoints.
func (d *Debugger) Run() {
	for d.Step() != nil {
	}
}

// hit returns the breakpoint s matches, "" for none.
func (d *Debugger) hit(s *DebugStep) string {
	n := s.Node
	if d.ops[n.name] || d.ops[ForwardOpName(n.name)] {
		return "op " + n.name
	}
	for _, p := range d.params {
		if n.variable == p || (p.gradFn != nil && p.gradFn == n) {
			return "param " + tensorLabel(p)
		}
	}
	if d.nonFinite && s.NonFinite() {
		return "non-finite gradient"
	}
	return ""
}

// BreakOnOp makes Continue stop after a node named name has run: PyTorch's
// node name ("MulBackward0", "AccumulateGrad") or the forward op's ("Mul").
// It panics with *Error when no node of the graph has that name.
func (d *Debugger) BreakOnOp(name string) {
	for _, n := range d.graph.Nodes {
		if name != "" && (n.Name == name || n.Op == name) {
			d.ops[name] = true
			return
		}
	}
	fail("BreakOnOp", "no node named %q in the graph (nodes: %s)", name, strings.Join(d.nodeNames(), ", "))
}

// BreakOnParam makes Continue stop after the gradient of t has been
// computed: after its AccumulateGrad node for a leaf, after its grad_fn
// otherwise. It panics with *Error when t's gradient is not part of the pass.
func (d *Debugger) BreakOnParam(t *Tensor) {
	for _, n := range d.graph.Nodes {
		if n.Leaf == t || (t.gradFn != nil && n.Node == t.gradFn) {
			d.params = append(d.params, t)
			return
		}
	}
	failShapes("BreakOnParam", [][]int{t.shape}, "the tensor receives no gradient in this backward pass")
}

// BreakOnNonFinite makes Continue stop after the first step whose arriving
// or outgoing gradients hold NaN or Inf.
func (d *Debugger) BreakOnNonFinite() { d.nonFinite = true }

// ClearBreakpoints removes every breakpoint.
func (d *Debugger) ClearBreakpoints() {
	d.ops, d.params, d.nonFinite = map[string]bool{}, nil, false
}

// nodeNames lists the distinct node names of the graph.
func (d *Debugger) nodeNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range d.graph.Nodes {
		if !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n.Name)
		}
	}
	return out
}

// NonFinite reports whether a gradient of the step holds NaN or Inf.
func (s *DebugStep) NonFinite() bool {
	if s.GradOutput != nil && !s.GradOutputStats.Finite() {
		return true
	}
	for i, g := range s.GradInputs {
		if g != nil && !s.GradInputsStats[i].Finite() {
			return true
		}
	}
	return false
}

// StepTensor is a named tensor of a DebugStep.
type StepTensor struct {
	Name   string
	Tensor *Tensor
}

// Tensors lists the tensors involved in the step with their names:
// "grad_output", "grad_input[i]", "saved[i]", "leaf", "leaf.grad".
func (s *DebugStep) Tensors() []StepTensor {
	var out []StepTensor
	if s.GradOutput != nil {
		out = append(out, StepTensor{"grad_output", s.GradOutput})
	}
	for i, g := range s.GradInputs {
		if g != nil {
			out = append(out, StepTensor{fmt.Sprintf("grad_input[%d]", i), g})
		}
	}
	for i, t := range s.Saved {
		out = append(out, StepTensor{fmt.Sprintf("saved[%d]", i), t})
	}
	if s.Leaf != nil {
		out = append(out, StepTensor{"leaf", s.Leaf})
		if s.Leaf.grad != nil {
			out = append(out, StepTensor{"leaf.grad", s.Leaf.grad})
		}
	}
	return out
}

// Tensor returns the step's tensor called name (see Tensors), nil if none.
func (s *DebugStep) Tensor(name string) *Tensor {
	for _, t := range s.Tensors() {
		if t.Name == name {
			return t.Tensor
		}
	}
	return nil
}

// String renders the step for a terminal:
//
//	step 3/7 AddBackward0 (model.go:12)
//	  grad_output    [4, 1] float32 min … norm …
//	  grad_input[0]  → MmBackward0  [4, 1] float32 min …
//	  grad_input[1]  → AccumulateGrad (bias)  [1] float32 min …
func (s *DebugStep) String() string { return s.Format(nil) }

// Format is String with leaf names looked up in names first (for example
// built from nn.NamedParameters), then Tensor.Name.
func (s *DebugStep) Format(names map[*Tensor]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d/%d %s", s.Index+1, s.Total, s.Node.name)
	if s.Leaf != nil {
		fmt.Fprintf(&b, " (%s)", leafName(s.Leaf, names))
	}
	if site := s.Node.Site(); site != "" {
		fmt.Fprintf(&b, " at %s", ShortSite(site))
	}
	if s.Break != "" {
		fmt.Fprintf(&b, " [break: %s]", s.Break)
	}
	b.WriteByte('\n')
	row := func(name, target string, st TensorStats) {
		fmt.Fprintf(&b, "  %-15s %s%s\n", name, target, st)
	}
	if s.GradOutput != nil {
		row("grad_output", "", s.GradOutputStats)
	}
	for i, next := range s.Inputs {
		name := fmt.Sprintf("grad_input[%d]", i)
		switch {
		case next == nil:
			fmt.Fprintf(&b, "  %-15s (no grad)\n", name)
		case s.GradInputs[i] == nil:
			fmt.Fprintf(&b, "  %-15s → %s: none\n", name, nodeLabel(next, names))
		default:
			row(name, "→ "+nodeLabel(next, names)+"  ", s.GradInputsStats[i])
		}
	}
	for i, t := range s.Saved {
		row(fmt.Sprintf("saved[%d]", i), "", StatsOf(t))
	}
	if s.Leaf != nil && s.Leaf.grad != nil {
		row("leaf.grad", "", StatsOf(s.Leaf.grad))
	}
	return b.String()
}

// nodeLabel names a node for messages: "MmBackward0", "AccumulateGrad (w)".
func nodeLabel(n *Node, names map[*Tensor]string) string {
	if n.variable != nil {
		return n.name + " (" + leafName(n.variable, names) + ")"
	}
	return n.name
}

// leafName is t's name in names, else its Name, else its shape.
func leafName(t *Tensor, names map[*Tensor]string) string {
	if s, ok := names[t]; ok && s != "" {
		return s
	}
	return tensorLabel(t)
}

// tensorLabel is t's Name, or "tensor [2, 3]" when it has none.
func tensorLabel(t *Tensor) string {
	if t.name != "" {
		return t.name
	}
	return "tensor " + shapeString(t.shape)
}

// ShortSite shortens a creation site "/path/to/file.go:12" to "file.go:12".
func ShortSite(site string) string {
	if site == "" {
		return ""
	}
	return filepath.Base(site)
}
