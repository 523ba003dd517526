package viz_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/graph/formats/dot"
	"gonum.org/v1/gonum/graph/formats/dot/ast"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/nn"
	"github.com/gotensor/gt/viz"
)

// The graph views on the walkthrough (Linear → MSE) and on an MLP whose
// hidden activation feeds two branches (a shared sub-graph): the text tree
// against golden files, the DOT through gonum's parser, the SVG through
// encoding/xml, and the debugger's views.

var updateGraphGolden = flag.Bool("update-graph", false, "rewrite viz/testdata/graph_*.txt")

// walkthroughModel is the quick start's model: one Linear layer, named
// "linear" by nn.NamedParameters.
type walkthroughModel struct {
	Linear *nn.Linear
}

// mlpModel is a two-layer perceptron.
type mlpModel struct {
	L1 *nn.Linear
	L2 *nn.Linear
}

type graphCase struct {
	name   string
	loss   *tl.Tensor
	names  map[*tl.Tensor]string
	leaves []string // every leaf name the views must show
	nodes  int
	edges  int
}

func namesOf(model any) (map[*tl.Tensor]string, []string) {
	m := map[*tl.Tensor]string{}
	var list []string
	for _, p := range nn.NamedParameters(model) {
		m[p.Tensor] = p.Name
		list = append(list, p.Name)
	}
	return m, list
}

func graphCases(t *testing.T) []graphCase {
	t.Helper()
	tl.ManualSeed(0)
	wm := &walkthroughModel{Linear: nn.NewLinear(3, 1)}
	x, y := tl.Randn(4, 3), tl.Randn(4, 1)
	w, b := wm.Linear.Weight, wm.Linear.Bias
	walk := x.MatMul(w.T()).Add(b).Sub(y).Pow(2).Mean()
	wNames, wList := namesOf(wm)

	mm := &mlpModel{L1: nn.NewLinear(4, 8), L2: nn.NewLinear(8, 2)}
	x2, y2 := tl.Randn(5, 4), tl.Randn(5, 2)
	// Layers written out (as the walkthrough), so the golden trees do not
	// depend on how nn.Linear.Forward is implemented.
	linear := func(l *nn.Linear, x *tl.Tensor) *tl.Tensor { return x.MatMul(l.Weight.T()).Add(l.Bias) }
	h := linear(mm.L1, x2).ReLU() // shared: the output layer and the penalty
	mlp := linear(mm.L2, h).Sub(y2).Pow(2).Mean().Add(h.Pow(2).Sum().MulScalar(0.01))
	mNames, mList := namesOf(mm)
	if len(wList) != 2 || wList[0] != "linear.weight" || len(mList) != 4 {
		t.Fatalf("parameter names %v %v", wList, mList)
	}
	return []graphCase{
		{"walkthrough", walk, wNames, wList, 8, 7},
		{"mlp", mlp, mNames, mList, 18, 18},
	}
}

func TestGraphTreeGolden(t *testing.T) {
	for _, c := range graphCases(t) {
		for _, variant := range []struct {
			suffix string
			opts   viz.GraphOptions
		}{
			{"", viz.GraphOptions{Names: c.names}},
			{"_nograd_hidden", viz.GraphOptions{Names: c.names, HideNoGrad: true}},
		} {
			t.Run(c.name+variant.suffix, func(t *testing.T) {
				got := viz.GraphTree(tl.GraphOf(c.loss), variant.opts)
				path := filepath.Join("testdata", "graph_"+c.name+variant.suffix+".txt")
				if *updateGraphGolden {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./viz -run TestGraphTreeGolden -update-graph)", err)
				}
				if got != string(want) {
					t.Errorf("tree differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
				}
				for _, name := range c.leaves {
					if !strings.Contains(got, "AccumulateGrad "+name+" [") {
						t.Errorf("tree does not name leaf %s", name)
					}
				}
			})
		}
	}
}

func TestGraphTreeShared(t *testing.T) {
	x := tl.FromFloat32s([]float32{1, 2}, 2).SetRequiresGrad(true).SetName("x")
	h := x.Exp()
	got := viz.TensorGraphTree(h.Mul(h), viz.GraphOptions{})
	want := "MulBackward0 [2]\n" +
		"├─ ExpBackward0 [2]  #2 ×2\n" +
		"│  └─ AccumulateGrad x [2]\n" +
		"└─ ExpBackward0 [2]  #2 ↑\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := viz.TensorGraphTree(tl.Ones(2), viz.GraphOptions{}); !strings.Contains(got, "does not require grad") {
		t.Errorf("constant: %q", got)
	}
	// Mixed dtypes and sites.
	tl.SetDebug(true)
	d := tl.FromFloat64s([]float64{1}, 1).SetRequiresGrad(true).To(tl.Float32).Sum()
	tl.SetDebug(false)
	got = viz.TensorGraphTree(d, viz.GraphOptions{Sites: true})
	if !strings.Contains(got, "AccumulateGrad leaf [1] float64") || !strings.Contains(got, "@ graph_test.go:") {
		t.Errorf("dtype or site missing:\n%s", got)
	}
}

// dotCounts parses DOT with gonum's parser and counts node and edge
// statements, collecting node labels by id.
func dotCounts(t *testing.T, src string) (nodes, edges int, labels map[string]string) {
	t.Helper()
	f, err := dot.ParseString(src)
	if err != nil {
		t.Fatalf("DOT does not parse: %v\n%s", err, src)
	}
	if len(f.Graphs) != 1 || !f.Graphs[0].Directed {
		t.Fatalf("want one digraph, got %d graphs", len(f.Graphs))
	}
	labels = map[string]string{}
	for _, st := range f.Graphs[0].Stmts {
		switch s := st.(type) {
		case *ast.NodeStmt:
			nodes++
			for _, a := range s.Attrs {
				if a.Key == "label" {
					v, err := strconv.Unquote(a.Val)
					if err != nil {
						t.Fatalf("label %s: %v", a.Val, err)
					}
					labels[s.Node.ID] = v
				}
			}
		case *ast.EdgeStmt:
			edges++
			if s.To.To != nil {
				t.Errorf("edge chain in one statement")
			}
		}
	}
	return nodes, edges, labels
}

func TestGraphDOT(t *testing.T) {
	for _, c := range graphCases(t) {
		t.Run(c.name, func(t *testing.T) {
			g := tl.GraphOf(c.loss)
			src := viz.GraphDOT(g, viz.GraphOptions{Names: c.names, Highlight: g.Nodes[1].Node})
			nodes, edges, labels := dotCounts(t, src)
			if nodes != c.nodes || edges != c.edges || len(g.Nodes) != c.nodes || len(g.Edges) != c.edges {
				t.Errorf("DOT has %d nodes and %d edges, graph %d and %d; want %d and %d", nodes, edges, len(g.Nodes), len(g.Edges), c.nodes, c.edges)
			}
			for _, n := range g.Nodes {
				label := labels[fmt.Sprintf("n%d", n.ID)]
				want := n.Name
				if n.Leaf != nil {
					want = c.names[n.Leaf]
				}
				if !strings.HasPrefix(label, want+"\n[") {
					t.Errorf("node %d label %q, want %s and its shape", n.ID, label, want)
				}
			}
			if !strings.Contains(src, "penwidth=2.5") {
				t.Error("highlighted node not marked")
			}
		})
	}
}

// svgNode is a <g class="node"> of the SVG.
type svgNode struct {
	id          string
	texts       []string
	x, y, w, h  float64
	title, fill string
}

// parseSVG checks the SVG is well-formed XML and returns its node groups and
// the number of edge paths.
func parseSVG(t *testing.T, src string) (nodes []svgNode, edges int, width, height float64) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(src))
	var cur *svgNode
	var inText, inTitle bool
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			attr := map[string]string{}
			for _, a := range e.Attr {
				attr[a.Name.Local] = a.Value
			}
			num := func(k string) float64 { v, _ := strconv.ParseFloat(attr[k], 64); return v }
			switch e.Name.Local {
			case "svg":
				width, height = num("width"), num("height")
			case "g":
				if attr["class"] == "node" {
					cur = &svgNode{id: attr["id"]}
				}
			case "rect":
				if cur != nil {
					cur.x, cur.y, cur.w, cur.h, cur.fill = num("x"), num("y"), num("width"), num("height"), attr["fill"]
				}
			case "text":
				inText = true
				if cur != nil {
					cur.texts = append(cur.texts, "")
				}
			case "title":
				inTitle = true
			case "path":
				if attr["class"] == "edge" {
					edges++
				}
			}
		case xml.EndElement:
			depth--
			switch e.Name.Local {
			case "g":
				if cur != nil {
					nodes = append(nodes, *cur)
					cur = nil
				}
			case "text":
				inText = false
			case "title":
				inTitle = false
			}
		case xml.CharData:
			if cur != nil && inText {
				cur.texts[len(cur.texts)-1] += string(e)
			}
			if cur != nil && inTitle {
				cur.title += string(e)
			}
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced SVG")
	}
	return nodes, edges, width, height
}

func TestGraphSVG(t *testing.T) {
	for _, c := range graphCases(t) {
		t.Run(c.name, func(t *testing.T) {
			g := tl.GraphOf(c.loss)
			src := viz.GraphSVG(g, viz.GraphOptions{Names: c.names})
			nodes, edges, width, height := parseSVG(t, src)
			if len(nodes) != c.nodes || edges != c.edges {
				t.Fatalf("SVG has %d nodes and %d edges, want %d and %d", len(nodes), edges, c.nodes, c.edges)
			}
			byID := map[string]svgNode{}
			for _, n := range nodes {
				byID[n.id] = n
			}
			for _, n := range g.Nodes {
				s, ok := byID[fmt.Sprintf("node-%d", n.ID)]
				if !ok {
					t.Fatalf("no box for node %d", n.ID)
				}
				want := n.Name
				if n.Leaf != nil {
					want = c.names[n.Leaf]
				}
				shape := strings.Trim(strings.ReplaceAll(fmt.Sprint(n.OutputShape), " ", ", "), "")
				if len(s.texts) != 2 || s.texts[0] != want || s.texts[1] != shape {
					t.Errorf("node %d labelled %q, want %q and %s", n.ID, s.texts, want, shape)
				}
				if !strings.HasPrefix(s.title, n.Name) {
					t.Errorf("node %d tooltip %q", n.ID, s.title)
				}
				if s.x < 0 || s.y < 0 || s.x+s.w > width || s.y+s.h > height {
					t.Errorf("node %d box %v outside the %vx%v image", n.ID, s, width, height)
				}
				if float64(len(want))*7.2 > s.w {
					t.Errorf("node %d box too narrow for %q", n.ID, want)
				}
			}
			// Layered: every edge goes down; boxes never overlap.
			for _, e := range g.Edges {
				from, to := byID[fmt.Sprintf("node-%d", e.From.ID)], byID[fmt.Sprintf("node-%d", e.To.ID)]
				if from.y+from.h >= to.y {
					t.Errorf("edge %d → %d does not point down", e.From.ID, e.To.ID)
				}
			}
			for i, a := range nodes {
				for _, b := range nodes[i+1:] {
					if a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h {
						t.Errorf("boxes %s and %s overlap", a.id, b.id)
					}
				}
			}
			// Leaves are blue, the output green.
			for _, l := range g.Leaves() {
				if byID[fmt.Sprintf("node-%d", l.ID)].fill != "#add8e6" {
					t.Errorf("leaf %d not coloured", l.ID)
				}
			}
		})
	}
	nodes, _, _, _ := parseSVG(t, viz.GraphSVG(tl.GraphOf(tl.Ones(1)), viz.GraphOptions{}))
	if len(nodes) != 0 {
		t.Error("empty graph drew nodes")
	}
}

func TestGraphImage(t *testing.T) {
	c := graphCases(t)[0]
	g := tl.GraphOf(c.loss)
	opts := viz.GraphOptions{Names: c.names, Highlight: g.Nodes[3].Node}
	nodes, _, width, height := parseSVG(t, viz.GraphSVG(g, opts))
	data, err := viz.GraphPNG(g, opts)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	s := viz.GraphImageScale
	if b := img.Bounds(); math.Abs(float64(b.Dx())-width*s) > 1 || math.Abs(float64(b.Dy())-height*s) > 1 {
		t.Fatalf("image %v, SVG %vx%v at scale %v", b, width, height, s)
	}
	// Same layout and colours as the SVG: sample inside each box's left
	// padding, and the highlighted box's border.
	rgb := func(x, y float64) string {
		r, g, b, _ := img.At(int(x*s), int(y*s)).RGBA()
		return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
	}
	for _, n := range nodes {
		if got := rgb(n.x+4, n.y+n.h/2); got != n.fill {
			t.Errorf("%s: image colour %s, SVG fill %s", n.id, got, n.fill)
		}
	}
	hi := nodes[0]
	for _, n := range nodes {
		if n.id == "node-4" {
			hi = n
		}
	}
	if got := rgb(hi.x+hi.w/2, hi.y); got != "#d62728" {
		t.Errorf("highlighted border %s", got)
	}
	b := viz.Bundle(viz.NewGraphView(c.loss, opts))
	if _, err := png.Decode(bytes.NewReader(b[viz.MIMEPNG])); err != nil {
		t.Errorf("bundle PNG: %v", err)
	}
}

func TestGraphSVGEscapes(t *testing.T) {
	x := tl.Ones(2).SetRequiresGrad(true).SetName(`<w & "b">`)
	src := viz.GraphSVG(tl.GraphOf(x.Exp()), viz.GraphOptions{})
	nodes, _, _, _ := parseSVG(t, src)
	if len(nodes) != 2 || nodes[0].texts[0] != `<w & "b">` && nodes[1].texts[0] != `<w & "b">` {
		t.Errorf("escaped name lost: %+v", nodes)
	}
	if _, _, labels := dotCounts(t, viz.GraphDOT(tl.GraphOf(x.Exp()), viz.GraphOptions{})); !strings.Contains(labels["n2"], `<w & "b">`) {
		t.Errorf("DOT label %q", labels["n2"])
	}
}

func TestDebugStepViews(t *testing.T) {
	c := graphCases(t)[0]
	d := tl.DebugBackward(c.loss)
	opts := viz.GraphOptions{Names: c.names}
	if got := viz.DebuggerText(d, opts); got != "backward pass not started; next: MeanBackward0\n" {
		t.Errorf("before: %q", got)
	}
	d.BreakOnOp("AddBackward0")
	s := d.Continue()
	text := viz.DebugStepText(s, opts)
	for _, frag := range []string{"step 4/8 AddBackward0", "grad_input[0]   → MmBackward0", "grad_input[1]   → AccumulateGrad (linear.bias)"} {
		if !strings.Contains(text, frag) {
			t.Errorf("text lacks %q:\n%s", frag, text)
		}
	}
	page := viz.DebugStepHTML(d, nil, opts)
	// The fragment is well-formed XML: the table and the SVG.
	nodes, edges, _, _ := parseSVG(t, page)
	if len(nodes) != 8 || edges != 7 {
		t.Errorf("debug HTML graph: %d nodes, %d edges", len(nodes), edges)
	}
	dimmed, highlighted := 0, 0
	for _, n := range nodes {
		if n.fill == "#e6e6e6" {
			dimmed++
		}
	}
	highlighted = strings.Count(page, `stroke="#d62728"`)
	if dimmed != 3 || highlighted != 1 {
		t.Errorf("%d nodes dimmed (want the 3 run before), %d highlighted", dimmed, highlighted)
	}
	for _, frag := range []string{"<b>step 4/8</b>", "break: op AddBackward0", "<td style=\"padding:1px 8px\">linear.bias</td>", "grad_input[0]"} {
		if !strings.Contains(page, frag) {
			t.Errorf("HTML lacks %q", frag)
		}
	}
	v := &viz.DebugView{Debugger: d, Options: opts}
	b := viz.Bundle(v)
	if !strings.HasPrefix(b.Text(), "step 4/8") || !bytes.Contains(b[viz.MIMEHTML], []byte("<svg")) {
		t.Errorf("bundle %q", b.Text())
	}
	d.Continue()
	if got := viz.DebuggerText(d, opts); !strings.HasSuffix(got, "backward pass finished\n") {
		t.Errorf("after: %q", got)
	}
}

func TestGraphViewBundle(t *testing.T) {
	c := graphCases(t)[1]
	b := viz.Bundle(viz.NewGraphView(c.loss, viz.GraphOptions{Names: c.names}))
	if !strings.HasPrefix(b.Text(), "AddBackward0 []\n") || !bytes.HasPrefix(b[viz.MIMESVG], []byte("<svg")) || !bytes.Contains(b[viz.MIMEHTML], []byte("<svg")) {
		t.Errorf("bundle: %q", b.Text())
	}
	if n := regexp.MustCompile(`class="node"`).FindAll(b[viz.MIMESVG], -1); len(n) != c.nodes {
		t.Errorf("%d nodes in the bundle's SVG", len(n))
	}
}

func ExampleGraphTree() {
	x := tl.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	w := tl.Ones(1, 3).SetRequiresGrad(true)
	b := tl.Zeros(1).SetRequiresGrad(true)
	names := map[*tl.Tensor]string{w: "linear.weight", b: "linear.bias"}
	loss := x.MatMul(w.T()).Add(b).Pow(2).Mean()
	fmt.Print(viz.GraphTree(tl.GraphOf(loss), viz.GraphOptions{Names: names}))
	// Output:
	// MeanBackward0 []
	// └─ PowBackward0 [2, 1]
	//    └─ AddBackward0 [2, 1]
	//       ├─ MmBackward0 [2, 1]
	//       │  ├─ · no grad [2, 3]
	//       │  └─ TBackward0 [3, 1]
	//       │     └─ AccumulateGrad linear.weight [1, 3]
	//       └─ AccumulateGrad linear.bias [1]
}
