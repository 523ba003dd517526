package tensorlib

import (
	"sync/atomic"
	"time"
)

// Node is one operation in the autograd graph: the backward function of the
// op that produced a tensor (PyTorch's grad_fn). Nodes are created by ops when
// an input requires grad and grad mode is on; leaves that require grad are
// reached through an AccumulateGrad node.
type Node struct {
	name     string
	next     []*Node // one per input; nil where the input needs no gradient
	inShapes [][]int // the inputs' shapes, for checks and graph views
	inDTypes []DType // the inputs' dtypes
	outShape []int   // the output's shape
	outDType DType   // the output's dtype
	backward func(grad *Tensor) []*Tensor
	saved    []savedTensor
	released bool
	variable *Tensor // the leaf, for AccumulateGrad
	hooks    []*hook // run on the gradient arriving at this node
	retain   *Tensor // non-leaf output whose .Grad is kept (RetainGrad)
	origin   *origin // where the node was created, in debug or anomaly mode
	seq      uint64  // creation order
}

// savedTensor is a tensor kept for backward, with the storage version it had.
type savedTensor struct {
	t       *Tensor
	version int
}

type hook struct {
	fn func(grad *Tensor) *Tensor
}

// HookHandle removes a hook registered with RegisterHook.
type HookHandle struct {
	node *Node
	h    *hook
}

// Remove unregisters the hook; further calls do nothing.
func (h *HookHandle) Remove() {
	for i, x := range h.node.hooks {
		if x == h.h {
			h.node.hooks = append(h.node.hooks[:i:i], h.node.hooks[i+1:]...)
			return
		}
	}
}

// Name returns PyTorch's name for the node, e.g. "MulBackward0" or
// "AccumulateGrad".
func (n *Node) Name() string { return n.name }

// String returns the node's name in PyTorch's repr style: <MulBackward0>.
func (n *Node) String() string { return "<" + n.name + ">" }

// Next returns the nodes that receive this node's input gradients, one per
// input (nil where an input does not require grad), like next_functions.
func (n *Node) Next() []*Node { return append([]*Node{}, n.next...) }

// Variable returns the leaf tensor of an AccumulateGrad node, nil otherwise.
func (n *Node) Variable() *Tensor { return n.variable }

// InputShapes returns the shapes of the op's inputs; an entry is nil where
// the op's input slot held no tensor (e.g. an integer index argument).
func (n *Node) InputShapes() [][]int { return n.inShapes }

// InputDTypes returns the dtypes of the op's inputs.
func (n *Node) InputDTypes() []DType { return n.inDTypes }

// OutputShape returns the shape of the tensor the op produced.
func (n *Node) OutputShape() []int { return n.outShape }

// OutputDType returns the dtype of the tensor the op produced.
func (n *Node) OutputDType() DType { return n.outDType }

// SavedTensors returns the tensors the op saved for backward (nil once the
// graph has been freed by a Backward without RetainGraph).
func (n *Node) SavedTensors() []*Tensor {
	out := make([]*Tensor, len(n.saved))
	for i, s := range n.saved {
		out[i] = s.t
	}
	return out
}

// Site returns where the op was created: the file:line of the first caller
// outside tensorlib, or, when that caller is an interpreter's machinery
// (reflect, yaegi), what the SetSiteFunc function returned; recorded while
// SetDebug(true) or DetectAnomaly(true) was on, "" otherwise.
func (n *Node) Site() string {
	if n.origin == nil {
		return ""
	}
	site, interpreted := firstCaller(n.origin.pcs)
	if (interpreted || site == "") && n.origin.site != "" {
		return n.origin.site
	}
	return site
}

// Stack returns the forward call stack that created the node, innermost
// caller first, one "function file:line" entry per frame outside tensorlib's
// own code, like the forward traceback PyTorch's anomaly mode prints. It is
// nil unless SetDebug(true) or DetectAnomaly(true) was on at the time.
func (n *Node) Stack() []string {
	if n.origin == nil {
		return nil
	}
	return stackOf(n.origin.pcs)
}

// Released reports whether a Backward without RetainGraph freed the node's
// saved tensors.
func (n *Node) Released() bool { return n.released }

var (
	gradDisabled atomic.Int32
	nodeSeq      atomic.Uint64
)

// NoGrad runs f with gradient recording off (torch.no_grad). Grad mode is
// process-wide, not per goroutine.
func NoGrad(f func()) {
	gradDisabled.Add(1)
	defer gradDisabled.Add(-1)
	f()
}

// IsGradEnabled reports whether ops currently record the autograd graph.
func IsGradEnabled() bool { return gradDisabled.Load() == 0 }

// needsGrad reports whether an op over inputs must call record: when it must
// record a node (gradRequired), and also for every op while a trace or
// anomaly mode observes ops (record then only reports the op). Code that must
// know whether a graph is being built uses gradRequired.
func needsGrad(inputs ...*Tensor) bool {
	return gradRequired(inputs...) || (observing.Load() != 0 && inBackward.Load() == 0)
}

// gradRequired reports whether an op over inputs records a node: grad mode is
// on and some input requires grad.
func gradRequired(inputs ...*Tensor) bool {
	if gradDisabled.Load() != 0 {
		return false
	}
	for _, t := range inputs {
		if t != nil && (t.requiresGrad || t.gradFn != nil) {
			return true
		}
	}
	return false
}

// record attaches a Node named name to out, whose inputs are inputs and whose
// backward computes one gradient per input (nil entries allowed) from the
// gradient of out. saved are tensors backward reads; their versions are
// checked before it runs. While ops are observed (Trace, DetectAnomaly) it
// also reports the op, and is called for ops that record no node.
func record(out *Tensor, name string, inputs []*Tensor, saved []*Tensor, backward func(grad *Tensor) []*Tensor) {
	if observing.Load() == 0 {
		attach(out, name, inputs, saved, backward)
		return
	}
	var n *Node
	if gradRequired(inputs...) {
		n = attach(out, name, inputs, saved, backward)
	}
	if inBackward.Load() == 0 {
		observeForward(name, inputs, out, n)
	}
}

// attach creates the node of out (see record) and returns it.
func attach(out *Tensor, name string, inputs []*Tensor, saved []*Tensor, backward func(grad *Tensor) []*Tensor) *Node {
	n := &Node{
		name:     name,
		next:     make([]*Node, len(inputs)),
		inShapes: make([][]int, len(inputs)),
		inDTypes: make([]DType, len(inputs)),
		outShape: out.shape,
		outDType: out.dtype,
		backward: backward,
		seq:      nodeSeq.Add(1),
	}
	for i, in := range inputs {
		if in == nil {
			continue
		}
		n.inShapes[i] = in.shape
		if in.shape == nil {
			n.inShapes[i] = []int{} // nil marks a slot without a tensor
		}
		n.inDTypes[i] = in.dtype
		switch {
		case in.gradFn != nil:
			n.next[i] = in.gradFn
		case in.requiresGrad:
			n.next[i] = in.gradAccumulator()
		}
	}
	for _, s := range saved {
		n.saved = append(n.saved, savedTensor{t: s, version: s.st.version})
	}
	if captureSites.Load() {
		n.origin = captureOrigin()
	}
	out.gradFn = n
	return n
}

// gradAccumulator returns the leaf's AccumulateGrad node, creating it once.
func (t *Tensor) gradAccumulator() *Node {
	if t.accNode == nil {
		t.accNode = &Node{name: "AccumulateGrad", variable: t, outShape: t.shape, outDType: t.dtype, seq: nodeSeq.Add(1)}
	}
	return t.accNode
}

// RequiresGrad reports whether gradients flow to or through t: a leaf marked
// by SetRequiresGrad, or the output of an op recorded in the graph.
func (t *Tensor) RequiresGrad() bool { return t.requiresGrad || t.gradFn != nil }

// SetRequiresGrad marks a leaf tensor as needing gradients (or not) and
// returns t. Only floating-point leaves can require gradients.
func (t *Tensor) SetRequiresGrad(requires bool) *Tensor {
	if t.gradFn != nil {
		fail("SetRequiresGrad", "you can only change requires_grad flags of leaf variables")
	}
	if requires && !t.dtype.IsFloat() {
		fail("SetRequiresGrad", "only Tensors of floating point dtype can require gradients (got %v)", t.dtype)
	}
	t.requiresGrad = requires
	return t
}

// IsLeaf reports whether t was not produced by a recorded op.
func (t *Tensor) IsLeaf() bool { return t.gradFn == nil }

// GradFn returns the node that produced t, nil for leaves.
func (t *Tensor) GradFn() *Node { return t.gradFn }

// Grad returns the gradient accumulated into t by Backward: for leaves that
// require grad, and for non-leaves after RetainGrad. Nil until then.
func (t *Tensor) Grad() *Tensor { return t.grad }

// SetGrad replaces t's gradient (nil clears it, as optimizers' ZeroGrad does).
func (t *Tensor) SetGrad(g *Tensor) {
	if g != nil && (!sameShape(g.shape, t.shape) || g.dtype != t.dtype) {
		failShapes("SetGrad", [][]int{t.shape, g.shape}, "assigned grad has data of a different size or dtype (%v vs %v)", g.dtype, t.dtype)
	}
	t.grad = g
}

// RetainGrad makes Backward keep the gradient of a non-leaf tensor in Grad.
// It does nothing for leaves, which always keep theirs.
func (t *Tensor) RetainGrad() {
	if t.gradFn == nil {
		if !t.requiresGrad {
			fail("RetainGrad", "can't retain_grad on Tensor that has requires_grad=False")
		}
		return
	}
	t.retainsGrad = true
	t.gradFn.retain = t
}

// RegisterHook registers fn to run on the gradient with respect to t each
// time it is computed; a non-nil result replaces the gradient.
func (t *Tensor) RegisterHook(fn func(grad *Tensor) *Tensor) *HookHandle {
	var n *Node
	switch {
	case t.gradFn != nil:
		n = t.gradFn
	case t.requiresGrad:
		n = t.gradAccumulator()
	default:
		fail("RegisterHook", "cannot register a hook on a tensor that doesn't require gradient")
	}
	h := &hook{fn: fn}
	n.hooks = append(n.hooks, h)
	return &HookHandle{node: n, h: h}
}

// Detach returns a tensor sharing t's storage but cut from the graph.
func (t *Tensor) Detach() *Tensor {
	return &Tensor{dtype: t.dtype, shape: t.shape, strides: t.strides, offset: t.offset, st: t.st, base: t.base, name: t.name}
}

// BackwardOptions configures BackwardWith.
type BackwardOptions struct {
	// Grad is the gradient of the output; nil means ones for a scalar output.
	Grad *Tensor
	// RetainGraph keeps saved tensors so Backward can run through the graph again.
	RetainGraph bool
}

// Backward computes the gradient of the scalar t with respect to every leaf
// that requires grad, accumulating into their Grad, then frees the graph's
// saved tensors.
func (t *Tensor) Backward() { t.BackwardWith(BackwardOptions{}) }

// BackwardWith is Backward with an explicit output gradient (required for
// non-scalar outputs) and retain-graph control.
func (t *Tensor) BackwardWith(opts BackwardOptions) {
	run := NewBackwardRun(t, opts)
	for !run.Done() {
		run.Step()
	}
}

// BackwardRun executes a backward pass one node at a time; Backward runs it to
// the end, and debuggers step through it.
type BackwardRun struct {
	order  []*Node
	grads  map[*Node]*Tensor
	pos    int
	retain bool
}

// NewBackwardRun prepares the backward pass from t without running it.
func NewBackwardRun(t *Tensor, opts BackwardOptions) *BackwardRun {
	if !t.RequiresGrad() {
		fail("Backward", "element 0 of tensors does not require grad and does not have a grad_fn")
	}
	g := opts.Grad
	if g == nil {
		if t.Numel() != 1 {
			failShapes("Backward", [][]int{t.shape}, "grad can be implicitly created only for scalar outputs")
		}
		g = OnesLike(t)
	} else {
		if !sameShape(g.shape, t.shape) {
			failShapes("Backward", [][]int{t.shape, g.shape}, "mismatch in shape: grad_output has a shape of %v and output has a shape of %v", shapeString(g.shape), shapeString(t.shape))
		}
		g = g.Detach().To(t.dtype)
	}
	root := t.gradFn
	if root == nil {
		root = t.gradAccumulator()
	}
	return &BackwardRun{order: topoOrder(root), grads: map[*Node]*Tensor{root: g}, retain: opts.RetainGraph}
}

// topoOrder returns the nodes reachable from root, each after every node that
// sends it a gradient (root first).
func topoOrder(root *Node) []*Node {
	visited := map[*Node]bool{root: true}
	var post []*Node
	type frame struct {
		n *Node
		i int
	}
	stack := []frame{{root, 0}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.i < len(top.n.next) {
			c := top.n.next[top.i]
			top.i++
			if c != nil && !visited[c] {
				visited[c] = true
				stack = append(stack, frame{c, 0})
			}
			continue
		}
		post = append(post, top.n)
		stack = stack[:len(stack)-1]
	}
	for i, j := 0, len(post)-1; i < j; i, j = i+1, j-1 {
		post[i], post[j] = post[j], post[i]
	}
	return post
}

// Done reports whether every node has run.
func (r *BackwardRun) Done() bool { return r.pos >= len(r.order) }

// Order returns the nodes of the pass in the order Step runs them, the
// output's node first (a node no gradient reaches is skipped).
func (r *BackwardRun) Order() []*Node { return append([]*Node{}, r.order...) }

// Next returns the node the next Step will run, nil when done.
func (r *BackwardRun) Next() *Node {
	for r.pos < len(r.order) && r.grads[r.order[r.pos]] == nil {
		r.pos++ // unreachable by gradient (e.g. all inputs' grads were nil)
	}
	if r.Done() {
		return nil
	}
	return r.order[r.pos]
}

// PendingGrad returns the gradient accumulated so far for node n.
func (r *BackwardRun) PendingGrad(n *Node) *Tensor { return r.grads[n] }

// Step runs the next node: its hooks, then its backward function (or the
// accumulation into its leaf), and returns the node with the gradient it
// received and the gradients it sent to its inputs.
func (r *BackwardRun) Step() (node *Node, gradIn *Tensor, gradsOut []*Tensor) {
	n := r.Next()
	if n == nil {
		return nil, nil, nil
	}
	r.pos++
	g := r.grads[n]
	delete(r.grads, n)
	inBackward.Add(1) // ops run by hooks and backward functions are not observed
	defer inBackward.Add(-1)
	var start time.Time
	observed := observing.Load() != 0
	if observed {
		start = time.Now()
	}
	for _, h := range n.hooks {
		if res := h.fn(g); res != nil {
			g = res
		}
	}
	if n.variable != nil {
		accumulate(n.variable, g)
		if observed {
			observeBackward(n, g, nil, time.Since(start))
		}
		return n, g, nil
	}
	if n.retain != nil {
		accumulate(n.retain, g)
	}
	if n.released {
		fail("Backward", "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward")
	}
	for _, s := range n.saved {
		if s.t.st.version != s.version {
			failShapes("Backward", [][]int{s.t.shape}, "one of the variables needed for gradient computation has been modified by an inplace operation: [%s %s], which is used by %s, is at version %d; expected version %d instead", tensorTypeName(s.t.dtype), shapeString(s.t.shape), n.name, s.t.st.version, s.version)
		}
	}
	NoGrad(func() { gradsOut = n.backward(g) })
	if anomalyOn.Load() {
		checkBackwardAnomaly(n, gradsOut)
	}
	for i, next := range n.next {
		if next == nil || i >= len(gradsOut) || gradsOut[i] == nil {
			continue
		}
		gi := gradsOut[i]
		if !sameShape(gi.shape, n.inShapes[i]) {
			failShapes("Backward", [][]int{gi.shape, n.inShapes[i]}, "internal error: %s returned a gradient of the wrong shape for input %d", n.name, i)
		}
		if prev := r.grads[next]; prev != nil {
			NoGrad(func() { gi = prev.Add(gi) })
		}
		r.grads[next] = gi
	}
	if !r.retain && len(n.saved) > 0 {
		n.saved = nil
		n.backward = nil
		n.released = true
	}
	if observed {
		observeBackward(n, g, gradsOut, time.Since(start))
	}
	return n, g, gradsOut
}

// accumulate adds g into t.grad (a fresh tensor the first time, in place
// afterwards, as PyTorch's AccumulateGrad does).
func accumulate(t *Tensor, g *Tensor) {
	NoGrad(func() {
		if g.dtype != t.dtype {
			g = g.To(t.dtype)
		}
		if t.grad == nil {
			t.grad = g.Detach().Clone()
		} else {
			t.grad.AddInPlace(g)
		}
	})
}

// tensorTypeName is PyTorch's legacy type name used in autograd messages.
func tensorTypeName(d DType) string {
	switch d {
	case Float32:
		return "torch.FloatTensor"
	case Float64:
		return "torch.DoubleTensor"
	case Int64:
		return "torch.LongTensor"
	}
	return "torch.BoolTensor"
}
