package tensorlib

import "strings"

// Graph is a snapshot of the autograd graph behind a tensor, for views and
// debuggers: every node reachable from the tensor's grad_fn once (a sub-graph
// used by several ops appears once, with several consumers), the edges
// between them, and the leaves that require grad (AccumulateGrad nodes).
type Graph struct {
	// Output is the tensor the graph was taken from.
	Output *Tensor
	// Nodes lists the nodes in the order a backward pass runs them: the
	// output's node first, each node before the inputs it sends gradients to.
	// Nodes[i].ID is i+1.
	Nodes []*GraphNode
	// Edges lists one edge per input slot that receives a gradient, in node
	// then input order.
	Edges []GraphEdge

	index map[*Node]*GraphNode
}

// GraphNode is one node of a Graph: an op's backward function (PyTorch's
// grad_fn) or the AccumulateGrad node of a leaf.
type GraphNode struct {
	ID          int     // 1-based position in Graph.Nodes
	Node        *Node   // the autograd node
	Name        string  // PyTorch's name: "MmBackward0", "AccumulateGrad"
	Op          string  // the forward op's name: "Mm"; "" for AccumulateGrad
	InputShapes [][]int // the op's inputs' shapes; nil where a slot held no tensor
	InputDTypes []DType // the op's inputs' dtypes
	OutputShape []int   // the shape of the tensor the op produced (the leaf's for AccumulateGrad)
	OutputDType DType   // its dtype
	Saved       []*Tensor
	Site        string // creation site (file:line) when recorded, see SetDebug
	// Leaf is the leaf tensor of an AccumulateGrad node, nil otherwise.
	Leaf *Tensor
	// Inputs holds, per input slot, the node receiving that input's
	// gradient; nil where the input needs none (or the slot held no tensor).
	Inputs []*GraphNode
	// Users are the nodes that have this node as an input, one entry per
	// edge (an op using the same tensor twice appears twice).
	Users []*GraphNode
}

// GraphEdge connects an op's input slot to the node producing that input.
// In the forward direction data flows From → To; gradients flow back To →
// From.
type GraphEdge struct {
	From  *GraphNode // the node that produced the input (or the leaf's AccumulateGrad)
	To    *GraphNode // the op consuming it
	Input int        // the input slot of To
}

// GraphOf returns the autograd graph behind t. For a tensor that does not
// require grad the graph has no nodes; for a leaf that requires grad it has
// the leaf's AccumulateGrad node only.
func GraphOf(t *Tensor) *Graph {
	g := &Graph{Output: t, index: map[*Node]*GraphNode{}}
	var root *Node
	switch {
	case t.gradFn != nil:
		root = t.gradFn
	case t.requiresGrad:
		root = t.gradAccumulator()
	default:
		return g
	}
	for i, n := range topoOrder(root) {
		gn := &GraphNode{
			ID:          i + 1,
			Node:        n,
			Name:        n.name,
			Op:          ForwardOpName(n.name),
			InputShapes: n.inShapes,
			InputDTypes: n.inDTypes,
			OutputShape: n.outShape,
			OutputDType: n.outDType,
			Saved:       n.SavedTensors(),
			Site:        n.Site(),
			Leaf:        n.variable,
			Inputs:      make([]*GraphNode, len(n.next)),
		}
		g.Nodes = append(g.Nodes, gn)
		g.index[n] = gn
	}
	for _, gn := range g.Nodes {
		for i, next := range gn.Node.next {
			if next == nil {
				continue
			}
			in := g.index[next]
			gn.Inputs[i] = in
			in.Users = append(in.Users, gn)
			g.Edges = append(g.Edges, GraphEdge{From: in, To: gn, Input: i})
		}
	}
	return g
}

// Root returns the output's node (nil for an empty graph).
func (g *Graph) Root() *GraphNode {
	if len(g.Nodes) == 0 {
		return nil
	}
	return g.Nodes[0]
}

// Lookup returns the graph's entry for n, nil if n is not in the graph.
func (g *Graph) Lookup(n *Node) *GraphNode { return g.index[n] }

// Leaves returns the AccumulateGrad nodes: one per leaf that requires grad.
func (g *Graph) Leaves() []*GraphNode {
	var out []*GraphNode
	for _, n := range g.Nodes {
		if n.Leaf != nil {
			out = append(out, n)
		}
	}
	return out
}

// Shared reports whether the node's output is used more than once (by two
// ops, or twice by one), so views show it once and refer back to it.
func (n *GraphNode) Shared() bool { return len(n.Users) > 1 }

// HasInput reports whether input slot i of the op held a tensor.
func (n *GraphNode) HasInput(i int) bool { return i < len(n.InputShapes) && n.InputShapes[i] != nil }

// ForwardOpName returns the forward op's name for a node name:
// "MulBackward0" → "Mul", "CopyBackwards" → "Copy"; "" for AccumulateGrad.
func ForwardOpName(node string) string {
	if node == "AccumulateGrad" {
		return ""
	}
	s := strings.TrimRight(node, "0123456789")
	s = strings.TrimSuffix(s, "s")
	if b, ok := strings.CutSuffix(s, "Backward"); ok {
		return b
	}
	return node
}
