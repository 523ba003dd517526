package viz

import (
	"math"
	"sort"

	tl "github.com/gotensor/gt/tensorlib"
)

// A layered (Sugiyama-style) layout of the autograd graph, drawn with data
// flowing down: leaves at the top, the output's node at the bottom.
//
//  1. Layering: a node's layer is its longest path to the output's node, so
//     every edge points down at least one layer.
//  2. Edges spanning several layers pass through dummy points, one per
//     layer crossed.
//  3. Ordering: barycentre sweeps, down then up, reduce edge crossings.
//  4. Coordinates: each node is pulled towards the mean position of its
//     neighbours, then the layer is projected back to its order with the
//     minimum spacing (averaging a left-packed and a right-packed placement).

// Layout sizes, in SVG pixels.
const (
	layoutCharWidth = 7.2 // of the 12px monospace font
	layoutPadX      = 10.0
	layoutNodeH     = 38.0
	layoutDummyW    = 6.0
	layoutGapX      = 18.0
	layoutGapY      = 42.0
	layoutMargin    = 12.0
)

// layoutNode is a box (or a dummy point of a long edge) in the layout.
type layoutNode struct {
	node   *tl.GraphNode // nil for dummies
	layer  int           // 0 is the top row
	pos    int           // index within the layer
	x, w   float64       // centre and width
	up     []*layoutNode // neighbours one layer up (towards the leaves)
	down   []*layoutNode // neighbours one layer down (towards the output)
	title  string
	detail string
}

// layoutEdge is an edge's route: From's box, the dummies, To's box.
type layoutEdge struct {
	edge   tl.GraphEdge
	points []*layoutNode
}

type graphLayout struct {
	layers [][]*layoutNode
	boxes  map[*tl.GraphNode]*layoutNode
	edges  []layoutEdge
	width  float64
	height float64
}

// layoutGraph lays out g's nodes, labelled by label.
func layoutGraph(g *tl.Graph, label func(*tl.GraphNode) (string, string)) *graphLayout {
	// 1. Layers: distance from the output's node along the longest path.
	// g.Nodes lists every node before its inputs, so one pass suffices.
	depth := map[*tl.GraphNode]int{}
	maxDepth := 0
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != nil && depth[in] < depth[n]+1 {
				depth[in] = depth[n] + 1
				maxDepth = max(maxDepth, depth[in])
			}
		}
	}
	l := &graphLayout{layers: make([][]*layoutNode, maxDepth+1), boxes: map[*tl.GraphNode]*layoutNode{}}
	// Visit nodes in depth-first preorder from the output, so the initial
	// order within a layer follows the inputs' order.
	var visit func(n *tl.GraphNode)
	visit = func(n *tl.GraphNode) {
		if l.boxes[n] != nil {
			return
		}
		title, detail := label(n)
		w := float64(max(len([]rune(title)), len([]rune(detail))))*layoutCharWidth + 2*layoutPadX
		b := &layoutNode{node: n, layer: maxDepth - depth[n], w: w, title: title, detail: detail}
		l.boxes[n] = b
		l.layers[b.layer] = append(l.layers[b.layer], b)
		for _, in := range n.Inputs {
			if in != nil {
				visit(in)
			}
		}
	}
	for _, n := range g.Nodes {
		visit(n)
	}
	// 2. Routes with dummies.
	for _, e := range g.Edges {
		from, to := l.boxes[e.From], l.boxes[e.To]
		route := []*layoutNode{from}
		prev := from
		for layer := from.layer + 1; layer < to.layer; layer++ {
			d := &layoutNode{layer: layer, w: layoutDummyW}
			l.layers[layer] = append(l.layers[layer], d)
			prev.down = append(prev.down, d)
			d.up = append(d.up, prev)
			route = append(route, d)
			prev = d
		}
		prev.down = append(prev.down, to)
		to.up = append(to.up, prev)
		l.edges = append(l.edges, layoutEdge{edge: e, points: append(route, to)})
	}
	l.renumber()
	// 3. Crossing reduction.
	for range 6 {
		for i := 1; i < len(l.layers); i++ {
			l.sortByBarycentre(i, func(n *layoutNode) []*layoutNode { return n.up })
		}
		for i := len(l.layers) - 2; i >= 0; i-- {
			l.sortByBarycentre(i, func(n *layoutNode) []*layoutNode { return n.down })
		}
	}
	// 4. Coordinates.
	for _, layer := range l.layers {
		x := 0.0
		for _, n := range layer {
			n.x = x + n.w/2
			x += n.w + layoutGapX
		}
	}
	for iter := range 12 {
		order := make([]int, len(l.layers))
		for i := range order {
			order[i] = i
		}
		if iter%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, i := range order {
			l.relax(l.layers[i])
		}
	}
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, layer := range l.layers {
		for _, n := range layer {
			minX = min(minX, n.x-n.w/2)
			maxX = max(maxX, n.x+n.w/2)
		}
	}
	for _, layer := range l.layers {
		for _, n := range layer {
			n.x += layoutMargin - minX
		}
	}
	l.width = maxX - minX + 2*layoutMargin
	l.height = float64(len(l.layers))*(layoutNodeH+layoutGapY) - layoutGapY + 2*layoutMargin
	return l
}

// renumber stores each node's index within its layer.
func (l *graphLayout) renumber() {
	for _, layer := range l.layers {
		for i, n := range layer {
			n.pos = i
		}
	}
}

// sortByBarycentre reorders layer i by the mean position of each node's
// neighbours in the adjacent layer (nodes without any keep their place).
func (l *graphLayout) sortByBarycentre(i int, neighbours func(*layoutNode) []*layoutNode) {
	layer := l.layers[i]
	key := make(map[*layoutNode]float64, len(layer))
	for _, n := range layer {
		nb := neighbours(n)
		if len(nb) == 0 {
			key[n] = float64(n.pos)
			continue
		}
		s := 0.0
		for _, m := range nb {
			s += float64(m.pos)
		}
		key[n] = s / float64(len(nb))
	}
	sort.SliceStable(layer, func(a, b int) bool { return key[layer[a]] < key[layer[b]] })
	for j, n := range layer {
		n.pos = j
	}
}

// relax moves a layer's nodes towards their neighbours' mean x, keeping
// their order and spacing.
func (l *graphLayout) relax(layer []*layoutNode) {
	k := len(layer)
	if k == 0 {
		return
	}
	want := make([]float64, k)
	for i, n := range layer {
		want[i] = n.x
		s, c := 0.0, 0
		for _, m := range n.up {
			s += m.x
			c++
		}
		for _, m := range n.down {
			s += m.x
			c++
		}
		if c > 0 {
			want[i] = s / float64(c)
		}
	}
	sep := func(i int) float64 { return (layer[i-1].w+layer[i].w)/2 + layoutGapX }
	left := make([]float64, k)
	left[0] = want[0]
	for i := 1; i < k; i++ {
		left[i] = max(want[i], left[i-1]+sep(i))
	}
	right := make([]float64, k)
	right[k-1] = want[k-1]
	for i := k - 2; i >= 0; i-- {
		right[i] = min(want[i], right[i+1]-sep(i+1))
	}
	for i, n := range layer {
		n.x = (left[i] + right[i]) / 2
	}
}

// y returns the top of a layer's boxes.
func (l *graphLayout) y(layer int) float64 {
	return layoutMargin + float64(layer)*(layoutNodeH+layoutGapY)
}
