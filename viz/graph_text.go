package viz

import (
	"fmt"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// Views of the autograd graph (tl.GraphOf): an indented tree for terminals
// (GraphTree), DOT for Graphviz (GraphDOT) and a laid-out SVG for notebooks
// (GraphSVG). Nodes are labelled with PyTorch's node names and their output
// shapes; leaves that require grad with their names.

// GraphOptions configures the graph views. The zero value shows every node
// with leaves named by tl.Tensor.Name.
type GraphOptions struct {
	// Names names leaf tensors (parameters). Leaves not in it show their
	// Tensor.Name, or "leaf" when they have none. From a module:
	//
	//	names := map[*tl.Tensor]string{}
	//	for _, p := range nn.NamedParameters(model) {
	//		names[p.Tensor] = p.Name
	//	}
	Names map[*tl.Tensor]string
	// Sites adds each node's creation site (recorded under tl.SetDebug).
	Sites bool
	// HideNoGrad omits, in the text tree, the inputs that need no gradient
	// (data, targets), shown by default as "· no grad [4, 3]".
	HideNoGrad bool
	// Highlight marks one node (the debugger's current step) in DOT and SVG.
	Highlight *tl.Node
	// Done dims the nodes already run (the debugger's previous steps) in
	// DOT and SVG.
	Done map[*tl.Node]bool
}

// GraphTree renders the graph as an indented tree, the output's node at the
// top and each node's inputs below it in input order:
//
//	MeanBackward0 []
//	└─ PowBackward0 [4, 1]
//	   └─ SubBackward0 [4, 1]
//	      ├─ AddBackward0 [4, 1]
//	      │  ├─ MmBackward0 [4, 1]
//	      │  │  ├─ · no grad [4, 3]
//	      │  │  └─ TBackward0 [3, 1]
//	      │  │     └─ AccumulateGrad linear.weight [1, 3]
//	      │  └─ AccumulateGrad linear.bias [1]
//	      └─ · no grad [4, 1]
//
// A node used more than once is expanded at its first appearance, marked
// "#ID ×uses", and later shown as "#ID ↑" without its inputs. Dtypes are
// shown where they differ from the output's.
func GraphTree(g *tl.Graph, opts GraphOptions) string {
	root := g.Root()
	if root == nil {
		return "(no autograd graph: the tensor does not require grad)\n"
	}
	tw := treeWriter{opts: opts, dtype: root.OutputDType, expanded: map[*tl.GraphNode]bool{}}
	tw.node(root, "", "", "")
	return tw.b.String()
}

// TensorGraphTree is GraphTree of t's graph.
func TensorGraphTree(t *tl.Tensor, opts GraphOptions) string { return GraphTree(tl.GraphOf(t), opts) }

type treeWriter struct {
	b        strings.Builder
	opts     GraphOptions
	dtype    tl.DType
	expanded map[*tl.GraphNode]bool
}

// node writes n's line (after prefix+branch) and its inputs (indented by
// prefix+indent).
func (tw *treeWriter) node(n *tl.GraphNode, prefix, branch, indent string) {
	tw.b.WriteString(prefix + branch + graphNodeText(n, tw.opts, tw.dtype))
	if n.Shared() {
		if tw.expanded[n] {
			fmt.Fprintf(&tw.b, "  #%d ↑\n", n.ID)
			return
		}
		tw.expanded[n] = true
		fmt.Fprintf(&tw.b, "  #%d ×%d", n.ID, len(n.Users))
	}
	if tw.opts.Sites && n.Site != "" {
		tw.b.WriteString("  @ " + tl.ShortSite(n.Site))
	}
	tw.b.WriteByte('\n')
	type child struct {
		node  *tl.GraphNode
		shape []int
		dtype tl.DType
	}
	var kids []child
	for i, in := range n.Inputs {
		switch {
		case in != nil:
			kids = append(kids, child{node: in})
		case n.HasInput(i) && !tw.opts.HideNoGrad:
			kids = append(kids, child{shape: n.InputShapes[i], dtype: n.InputDTypes[i]})
		}
	}
	inner := prefix + indent
	for i, k := range kids {
		br, ind := "├─ ", "│  "
		if i == len(kids)-1 {
			br, ind = "└─ ", "   "
		}
		if k.node != nil {
			tw.node(k.node, inner, br, ind)
			continue
		}
		tw.b.WriteString(inner + br + "· no grad " + graphShape(k.shape) + tw.dtypeSuffix(k.dtype) + "\n")
	}
}

func (tw *treeWriter) dtypeSuffix(d tl.DType) string {
	if d == tw.dtype {
		return ""
	}
	return " " + graphDType(d)
}

// graphNodeText is a node's one-line label: "MmBackward0 [4, 1]",
// "AccumulateGrad linear.weight [1, 3]", with the dtype when it differs from
// the output's.
func graphNodeText(n *tl.GraphNode, opts GraphOptions, outDType tl.DType) string {
	s := n.Name
	if n.Leaf != nil {
		s += " " + graphLeafName(n.Leaf, opts.Names)
	}
	s += " " + graphShape(n.OutputShape)
	if n.OutputDType != outDType {
		s += " " + graphDType(n.OutputDType)
	}
	return s
}

// graphLeafName names a leaf: from names, else its Name, else "leaf".
func graphLeafName(t *tl.Tensor, names map[*tl.Tensor]string) string {
	if s := names[t]; s != "" {
		return s
	}
	if s := t.Name(); s != "" {
		return s
	}
	return "leaf"
}

// graphShape renders a shape as PyTorch's messages do: [4, 1], [].
func graphShape(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// graphDType is a dtype's short name: float64.
func graphDType(d tl.DType) string { return strings.TrimPrefix(d.String(), "torch.") }
