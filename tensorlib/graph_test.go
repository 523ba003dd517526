package tensorlib_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
)

// The graph model against PyTorch: testdata/graph.json (tools/golden/graph.py)
// holds, per model, its leaves, the loss, the graph behind it as a preorder
// list of node names and next_functions, and the leaves' gradients.

type grTensor struct {
	Shape  []int    `json:"shape"`
	Values []string `json:"values"`
}

func (g grTensor) floats(t *testing.T) []float64 {
	t.Helper()
	out := make([]float64, len(g.Values))
	for i, s := range g.Values {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("bad golden value %q: %v", s, err)
		}
		out[i] = v
	}
	return out
}

type grCase struct {
	Name   string `json:"name"`
	Leaves []struct {
		grTensor
		Name         string `json:"name"`
		RequiresGrad bool   `json:"requires_grad"`
	} `json:"leaves"`
	Loss  string `json:"loss"`
	Nodes []struct {
		Name string `json:"name"`
		Next []*int `json:"next"`
	} `json:"nodes"`
	Grads map[string]grTensor `json:"grads"`
}

type grGolden struct {
	Torch   string   `json:"torch"`
	Cases   []grCase `json:"cases"`
	Anomaly []struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"anomaly"`
}

func grLoad(t *testing.T) grGolden {
	t.Helper()
	data, err := os.ReadFile("testdata/graph.json")
	if err != nil {
		t.Fatal(err)
	}
	var g grGolden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatal("no cases in testdata/graph.json")
	}
	return g
}

// grLinear is gt's nn.Linear composition: x·wᵀ + b.
func grLinear(x, w, b *tl.Tensor) *tl.Tensor { return x.MatMul(w.T()).Add(b) }

// grModels are the Go versions of graph.py's models.
var grModels = map[string]func(p map[string]*tl.Tensor) *tl.Tensor{
	"walkthrough": func(p map[string]*tl.Tensor) *tl.Tensor {
		return grLinear(p["x"], p["linear.weight"], p["linear.bias"]).Sub(p["y"]).Pow(2).Mean()
	},
	"mlp_shared": func(p map[string]*tl.Tensor) *tl.Tensor {
		h := grLinear(p["x"], p["l1.weight"], p["l1.bias"]).ReLU()
		out := grLinear(h, p["l2.weight"], p["l2.bias"])
		return out.Sub(p["y"]).Pow(2).Mean().Add(h.Pow(2).Sum().MulScalar(0.01))
	},
	"tied": func(p map[string]*tl.Tensor) *tl.Tensor {
		w, b := p["l.weight"], p["l.bias"]
		h := grLinear(p["x"], w, b).Tanh()
		return grLinear(h, w, b).Sigmoid().Mul(h).Sum()
	},
}

// grBuild makes fresh leaves for c (named with SetName) and runs its model.
func grBuild(t *testing.T, c grCase) (loss *tl.Tensor, leaves map[string]*tl.Tensor) {
	t.Helper()
	leaves = map[string]*tl.Tensor{}
	for _, l := range c.Leaves {
		v := l.floats(t)
		f := make([]float32, len(v))
		for i := range v {
			f[i] = float32(v[i])
		}
		leaves[l.Name] = tl.FromFloat32s(f, l.Shape...).SetRequiresGrad(l.RequiresGrad).SetName(l.Name)
	}
	model := grModels[c.Name]
	if model == nil {
		t.Fatalf("no Go model for case %q", c.Name)
	}
	return model(leaves), leaves
}

// grPreorder walks the graph as graph.py does: depth-first preorder along
// Next, ids at first visit; it returns each node's name and next ids (-1 for
// nil).
func grPreorder(root *tl.Node) (names []string, next [][]int) {
	ids := map[*tl.Node]int{}
	var visit func(n *tl.Node) int
	visit = func(n *tl.Node) int {
		if id, ok := ids[n]; ok {
			return id
		}
		id := len(names)
		ids[n] = id
		names = append(names, n.Name())
		next = append(next, nil)
		var nx []int
		for _, c := range n.Next() {
			if c == nil {
				nx = append(nx, -1)
			} else {
				nx = append(nx, visit(c))
			}
		}
		next[id] = nx
		return id
	}
	visit(root)
	return names, next
}

func TestGraphMatchesTorch(t *testing.T) {
	golden := grLoad(t)
	for _, c := range golden.Cases {
		t.Run(c.Name, func(t *testing.T) {
			loss, leaves := grBuild(t, c)
			want, _ := strconv.ParseFloat(c.Loss, 64)
			if got := loss.Item(); math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
				t.Errorf("loss = %v, torch %v", got, want)
			}
			names, next := grPreorder(loss.GradFn())
			if len(names) != len(c.Nodes) {
				t.Fatalf("%d nodes %v, torch has %d", len(names), names, len(c.Nodes))
			}
			wantEdges := 0
			for i, n := range c.Nodes {
				wantNext := make([]int, len(n.Next))
				for j, p := range n.Next {
					wantNext[j] = -1
					if p != nil {
						wantNext[j] = *p
						wantEdges++
					}
				}
				if names[i] != n.Name || !slices.Equal(next[i], wantNext) {
					t.Errorf("node %d: %s %v, torch %s %v", i, names[i], next[i], n.Name, wantNext)
				}
			}

			g := tl.GraphOf(loss)
			if len(g.Nodes) != len(c.Nodes) || len(g.Edges) != wantEdges {
				t.Errorf("GraphOf: %d nodes, %d edges; want %d, %d", len(g.Nodes), len(g.Edges), len(c.Nodes), wantEdges)
			}
			if g.Root().Node != loss.GradFn() || g.Output != loss {
				t.Errorf("root is %v, want the loss's grad_fn", g.Root().Name)
			}
			var leafNames []string
			for _, l := range g.Leaves() {
				leafNames = append(leafNames, l.Leaf.Name())
				if !slices.Equal(l.OutputShape, l.Leaf.Shape()) || l.Name != "AccumulateGrad" || l.Op != "" {
					t.Errorf("leaf %s: node %s %v, tensor %v", l.Leaf.Name(), l.Name, l.OutputShape, l.Leaf.Shape())
				}
			}
			var wantLeaves []string
			for name := range c.Grads {
				wantLeaves = append(wantLeaves, name)
			}
			slices.Sort(leafNames)
			slices.Sort(wantLeaves)
			if !slices.Equal(leafNames, wantLeaves) {
				t.Errorf("leaves %v, want %v", leafNames, wantLeaves)
			}
			grCheckConsistent(t, g)
			_ = leaves
		})
	}
}

// grCheckConsistent checks a Graph's invariants: ids, topological order,
// edges matching Inputs and Users, shapes matching across edges.
func grCheckConsistent(t *testing.T, g *tl.Graph) {
	t.Helper()
	pos := map[*tl.GraphNode]int{}
	for i, n := range g.Nodes {
		if n.ID != i+1 {
			t.Errorf("node %d has ID %d", i, n.ID)
		}
		if g.Lookup(n.Node) != n {
			t.Errorf("Lookup(%s) does not return its entry", n.Name)
		}
		pos[n] = i
	}
	users := map[*tl.GraphNode]int{}
	for _, e := range g.Edges {
		if pos[e.From] <= pos[e.To] {
			t.Errorf("edge %s → %s breaks the order", e.From.Name, e.To.Name)
		}
		if e.To.Inputs[e.Input] != e.From {
			t.Errorf("edge %s → %s input %d not in Inputs", e.From.Name, e.To.Name, e.Input)
		}
		if !slices.Equal(e.To.InputShapes[e.Input], e.From.OutputShape) {
			t.Errorf("edge %s → %s: input shape %v, producer's output %v", e.From.Name, e.To.Name, e.To.InputShapes[e.Input], e.From.OutputShape)
		}
		users[e.From]++
	}
	for _, n := range g.Nodes {
		if len(n.Users) != users[n] {
			t.Errorf("%s #%d: %d users, %d edges", n.Name, n.ID, len(n.Users), users[n])
		}
	}
}

func TestGraphShared(t *testing.T) {
	// h is used by two ops: its sub-graph appears once, with two users.
	x := tl.FromFloat32s([]float32{1, -2, 3}, 3).SetRequiresGrad(true)
	h := x.Exp()
	y := h.Mul(h).Add(h.Sum())
	g := tl.GraphOf(y)
	names := map[string]int{}
	for _, n := range g.Nodes {
		names[n.Name]++
	}
	if names["ExpBackward0"] != 1 || names["AccumulateGrad"] != 1 {
		t.Fatalf("nodes %v, want one ExpBackward0 and one AccumulateGrad", names)
	}
	exp := g.Lookup(h.GradFn())
	if len(exp.Users) != 3 || !exp.Shared() {
		t.Errorf("ExpBackward0 has %d users, want 3 (Mul twice, Sum)", len(exp.Users))
	}
	if len(g.Nodes) != 5 || len(g.Edges) != 6 {
		t.Errorf("%d nodes, %d edges; want 5, 6", len(g.Nodes), len(g.Edges))
	}
	grCheckConsistent(t, g)
}

func TestGraphOfLeavesAndConstants(t *testing.T) {
	c := tl.Ones(2, 2)
	if g := tl.GraphOf(c); len(g.Nodes) != 0 || g.Root() != nil {
		t.Errorf("a tensor without grad has %d nodes", len(g.Nodes))
	}
	w := tl.Ones(2).SetRequiresGrad(true)
	g := tl.GraphOf(w)
	if len(g.Nodes) != 1 || g.Root().Leaf != w || len(g.Edges) != 0 {
		t.Errorf("a leaf's graph: %d nodes, root leaf %v", len(g.Nodes), g.Root().Leaf)
	}
	// An input without grad is a slot with a shape but no node; an index
	// argument is a slot without a tensor.
	y := c.MatMul(w).IndexSelect(0, tl.FromInts([]int{1}, 1))
	g = tl.GraphOf(y)
	sel, mv := g.Nodes[0], g.Nodes[1]
	if sel.Name != "IndexSelectBackward0" || sel.HasInput(1) || !sel.HasInput(0) {
		t.Errorf("%s: HasInput = %v, %v; want true, false", sel.Name, sel.HasInput(0), sel.HasInput(1))
	}
	if mv.Name != "MvBackward0" || !mv.HasInput(0) || mv.Inputs[0] != nil || mv.Inputs[1] == nil {
		t.Errorf("%s: inputs %v", mv.Name, mv.Inputs)
	}
	if !slices.Equal(mv.InputShapes[0], []int{2, 2}) || mv.InputDTypes[0] != tl.Float32 {
		t.Errorf("constant input: %v %v", mv.InputShapes[0], mv.InputDTypes[0])
	}
	if len(mv.Saved) != 1 || mv.Saved[0] != c {
		t.Errorf("MvBackward0 saved %d tensors, want the matrix", len(mv.Saved))
	}
}

func TestForwardOpName(t *testing.T) {
	for _, tc := range []struct{ node, op string }{
		{"MulBackward0", "Mul"}, {"SqueezeBackward3", "Squeeze"}, {"CopyBackwards", "Copy"},
		{"MseLossBackward0", "MseLoss"}, {"AccumulateGrad", ""}, {"Custom", "Custom"},
	} {
		if got := tl.ForwardOpName(tc.node); got != tc.op {
			t.Errorf("ForwardOpName(%q) = %q, want %q", tc.node, got, tc.op)
		}
	}
}

func ExampleGraphOf() {
	x := tl.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2)
	w := tl.Ones(1, 2).SetRequiresGrad(true).SetName("w")
	loss := x.MatMul(w.T()).Pow(2).Mean()
	g := tl.GraphOf(loss)
	for _, n := range g.Nodes {
		label := n.Name
		if n.Leaf != nil {
			label += " " + n.Leaf.Name()
		}
		fmt.Println(n.ID, label, n.OutputShape, len(n.Users))
	}
	fmt.Println(len(g.Edges), "edges")
	// Output:
	// 1 MeanBackward0 [] 0
	// 2 PowBackward0 [2 1] 1
	// 3 MmBackward0 [2 1] 1
	// 4 TBackward0 [2 1] 1
	// 5 AccumulateGrad w [1 2] 1
	// 4 edges
}
