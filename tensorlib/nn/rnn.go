package nn

import (
	"fmt"
	"math"

	tl "github.com/gotensor/gt/tensorlib"
)

// Recurrent layers (torch.nn.RNN, LSTM, GRU). The input projection of a
// whole sequence is one matmul; the recurrence over time steps of one layer
// and direction is a single autograd node with a hand-written
// backpropagation through time, so memory and time grow linearly with the
// sequence length. The arithmetic follows PyTorch's CPU cells: gates are
// (h·W_hhᵀ + b_hh) + (x·W_ihᵀ + b_ih), chunked in PyTorch's gate order
// (LSTM: input, forget, cell, output; GRU: reset, update, new).

// RNNOptions are the optional settings of RNN, LSTM and GRU; the zero value
// is PyTorch's default.
type RNNOptions struct {
	NumLayers     int     // stacked layers; default 1
	Nonlinearity  string  // RNN only: "tanh" (default) or "relu"
	NoBias        bool    // bias=False: no b_ih, b_hh
	BatchFirst    bool    // inputs and outputs are (N, L, features) instead of (L, N, features)
	Dropout       float64 // dropout on the outputs of every layer but the last, in training mode
	Bidirectional bool    // run a second, reversed, direction and concatenate the outputs
}

// RNN is an Elman recurrent network, h_t = tanh(x_t·W_ihᵀ + b_ih +
// h_{t−1}·W_hhᵀ + b_hh) (or ReLU), torch.nn.RNN.
type RNN struct {
	// Weights are the parameters with PyTorch's names and order: for each
	// layer k and direction (suffix "" or "_reverse"), weight_ih_lk,
	// weight_hh_lk, bias_ih_lk, bias_hh_lk.
	Weights []NamedTensor

	InputSize, HiddenSize int
	Options               RNNOptions `gt:"-"`
	eval                  bool
}

// LSTM is a long short-term memory network (torch.nn.LSTM). Its weights
// stack the input, forget, cell and output gates: weight_ih_lk is
// (4·hidden, in).
type LSTM struct {
	// Weights are the parameters with PyTorch's names and order (see RNN).
	Weights []NamedTensor

	InputSize, HiddenSize int
	Options               RNNOptions `gt:"-"`
	eval                  bool
}

// GRU is a gated recurrent unit network (torch.nn.GRU). Its weights stack
// the reset, update and new gates: weight_ih_lk is (3·hidden, in).
type GRU struct {
	// Weights are the parameters with PyTorch's names and order (see RNN).
	Weights []NamedTensor

	InputSize, HiddenSize int
	Options               RNNOptions `gt:"-"`
	eval                  bool
}

type rnnMode int

const (
	rnnTanh rnnMode = iota
	rnnReLU
	rnnLSTM
	rnnGRU
)

func (m rnnMode) gates() int {
	switch m {
	case rnnLSTM:
		return 4
	case rnnGRU:
		return 3
	}
	return 1
}

func (m rnnMode) String() string {
	return [...]string{"RNN", "RNN", "LSTM", "GRU"}[m]
}

// NewRNN returns an RNN initialised as PyTorch does: every parameter, in
// order, uniform on ±1/√hidden.
func NewRNN(inputSize, hiddenSize int, opts ...RNNOptions) *RNN {
	o := rnnOpts(opts)
	switch o.Nonlinearity {
	case "":
		o.Nonlinearity = "tanh"
	case "tanh", "relu":
	default:
		panic(&tl.Error{Op: "NewRNN", Msg: fmt.Sprintf("unknown nonlinearity '%s'. Select from 'tanh' or 'relu'", o.Nonlinearity)})
	}
	return &RNN{Weights: newRNNWeights("NewRNN", rnnTanh, inputSize, hiddenSize, o), InputSize: inputSize, HiddenSize: hiddenSize, Options: o}
}

// NewLSTM returns an LSTM initialised as PyTorch does (see NewRNN).
func NewLSTM(inputSize, hiddenSize int, opts ...RNNOptions) *LSTM {
	o := rnnOpts(opts)
	return &LSTM{Weights: newRNNWeights("NewLSTM", rnnLSTM, inputSize, hiddenSize, o), InputSize: inputSize, HiddenSize: hiddenSize, Options: o}
}

// NewGRU returns a GRU initialised as PyTorch does (see NewRNN).
func NewGRU(inputSize, hiddenSize int, opts ...RNNOptions) *GRU {
	o := rnnOpts(opts)
	return &GRU{Weights: newRNNWeights("NewGRU", rnnGRU, inputSize, hiddenSize, o), InputSize: inputSize, HiddenSize: hiddenSize, Options: o}
}

func rnnOpts(opts []RNNOptions) RNNOptions {
	var o RNNOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.NumLayers == 0 {
		o.NumLayers = 1
	}
	return o
}

func (o RNNOptions) directions() int {
	if o.Bidirectional {
		return 2
	}
	return 1
}

// newRNNWeights creates the parameters in named_parameters order and fills
// them as RNNBase.reset_parameters does.
func newRNNWeights(op string, mode rnnMode, in, hidden int, o RNNOptions) []NamedTensor {
	switch {
	case in <= 0 || hidden <= 0:
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("input_size and hidden_size must be positive, got %d and %d", in, hidden)})
	case o.NumLayers < 0:
		panic(&tl.Error{Op: op, Msg: "num_layers must be positive"})
	case o.Dropout < 0 || o.Dropout > 1:
		panic(&tl.Error{Op: op, Msg: "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"})
	}
	gate := mode.gates() * hidden
	var ws []NamedTensor
	for l := 0; l < o.NumLayers; l++ {
		for d := 0; d < o.directions(); d++ {
			layerIn := in
			if l > 0 {
				layerIn = hidden * o.directions()
			}
			sfx := fmt.Sprintf("_l%d", l)
			if d == 1 {
				sfx += "_reverse"
			}
			ws = append(ws, NamedTensor{"weight_ih" + sfx, tl.New(tl.Float32, gate, layerIn)}, NamedTensor{"weight_hh" + sfx, tl.New(tl.Float32, gate, hidden)})
			if !o.NoBias {
				ws = append(ws, NamedTensor{"bias_ih" + sfx, tl.New(tl.Float32, gate)}, NamedTensor{"bias_hh" + sfx, tl.New(tl.Float32, gate)})
			}
		}
	}
	stdv := 1 / math.Sqrt(float64(hidden))
	for _, w := range ws {
		Uniform(w.Tensor, -stdv, stdv)
		w.Tensor.SetRequiresGrad(true)
	}
	return ws
}

// Param returns the parameter named name (e.g. "weight_hh_l0"), or nil.
func (r *RNN) Param(name string) *tl.Tensor { return findNamed(r.Weights, name) }

// Param returns the parameter named name (e.g. "weight_hh_l0"), or nil.
func (r *LSTM) Param(name string) *tl.Tensor { return findNamed(r.Weights, name) }

// Param returns the parameter named name (e.g. "weight_hh_l0"), or nil.
func (r *GRU) Param(name string) *tl.Tensor { return findNamed(r.Weights, name) }

func findNamed(ws []NamedTensor, name string) *tl.Tensor {
	for _, w := range ws {
		if w.Name == name {
			return w.Tensor
		}
	}
	return nil
}

// SetTraining switches dropout between layers on or off (Trainer).
func (r *RNN) SetTraining(on bool) { r.eval = !on }

// SetTraining switches dropout between layers on or off (Trainer).
func (r *LSTM) SetTraining(on bool) { r.eval = !on }

// SetTraining switches dropout between layers on or off (Trainer).
func (r *GRU) SetTraining(on bool) { r.eval = !on }

// Forward runs the network over x, (L, N, in) — (N, L, in) with BatchFirst —
// or unbatched (L, in), from the initial hidden state h0
// (layers·directions, N, hidden), nil meaning zeros. It returns the last
// layer's output at every step, (L, N, directions·hidden), and the final
// hidden state of every layer and direction, shaped like h0.
func (r *RNN) Forward(x, h0 *tl.Tensor) (out, hn *tl.Tensor) {
	mode := rnnTanh
	if r.Options.Nonlinearity == "relu" {
		mode = rnnReLU
	}
	out, hn, _ = rnnCore{mode, r.InputSize, r.HiddenSize, r.Options, r.Weights, !r.eval}.forward(x, h0, nil)
	return out, hn
}

// Forward runs the LSTM over x (see RNN.Forward) from the initial hidden
// and cell states h0 and c0 (layers·directions, N, hidden), nil meaning
// zeros, returning the output and the final hidden and cell states.
func (r *LSTM) Forward(x, h0, c0 *tl.Tensor) (out, hn, cn *tl.Tensor) {
	return rnnCore{rnnLSTM, r.InputSize, r.HiddenSize, r.Options, r.Weights, !r.eval}.forward(x, h0, c0)
}

// Forward runs the GRU over x from h0 (see RNN.Forward).
func (r *GRU) Forward(x, h0 *tl.Tensor) (out, hn *tl.Tensor) {
	out, hn, _ = rnnCore{rnnGRU, r.InputSize, r.HiddenSize, r.Options, r.Weights, !r.eval}.forward(x, h0, nil)
	return out, hn
}

// rnnCore is what the three layers share.
type rnnCore struct {
	mode       rnnMode
	in, hidden int
	o          RNNOptions
	weights    []NamedTensor
	training   bool
}

func (c rnnCore) forward(x, h0, c0 *tl.Tensor) (out, hn, cn *tl.Tensor) {
	op := c.mode.String()
	dirs := c.o.directions()
	perDir := 4
	if c.o.NoBias {
		perDir = 2
	}
	if len(c.weights) != c.o.NumLayers*dirs*perDir {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected %d weights, have %d", c.o.NumLayers*dirs*perDir, len(c.weights))})
	}
	if x.Dim() != 2 && x.Dim() != 3 {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected input to be 2D or 3D, got %dD tensor instead", x.Dim()), Shapes: [][]int{x.Shape()}})
	}
	if x.Size(-1) != c.in {
		panic(&tl.Error{Op: op, Msg: fmt.Sprintf("input.size(-1) must be equal to input_size. Expected %d, got %d", c.in, x.Size(-1)), Shapes: [][]int{x.Shape()}})
	}
	unbatched := x.Dim() == 2
	switch {
	case unbatched:
		x = x.Unsqueeze(1)
	case c.o.BatchFirst:
		x = x.Transpose(0, 1)
	}
	steps, batch := x.Size(0), x.Size(1)
	if steps == 0 {
		panic(&tl.Error{Op: op, Msg: "expected a non-empty sequence", Shapes: [][]int{x.Shape()}})
	}
	hshape := []int{c.o.NumLayers * dirs, batch, c.hidden}
	state := func(s *tl.Tensor, what string) *tl.Tensor {
		if s == nil {
			return tl.New(x.DType(), hshape...)
		}
		if unbatched {
			if s.Dim() != 2 {
				panic(&tl.Error{Op: op, Msg: fmt.Sprintf("for unbatched 2-D input, %s should also be 2-D but got %d-D tensor", what, s.Dim()), Shapes: [][]int{s.Shape()}})
			}
			s = s.Unsqueeze(1)
		}
		if !sameInts(s.Shape(), hshape) {
			panic(&tl.Error{Op: op, Msg: fmt.Sprintf("expected %s size %v, got %v", what, hshape, s.Shape()), Shapes: [][]int{s.Shape()}})
		}
		return s
	}
	h0 = state(h0, "hidden")
	if c.mode == rnnLSTM {
		c0 = state(c0, "cell")
	}
	layerIn := x
	var hs, cs []*tl.Tensor
	for l := 0; l < c.o.NumLayers; l++ {
		outs := make([]*tl.Tensor, dirs)
		for d := 0; d < dirs; d++ {
			idx := l*dirs + d
			w := c.weights[idx*perDir : (idx+1)*perDir]
			var bih, bhh *tl.Tensor
			if !c.o.NoBias {
				bih, bhh = w[2].Tensor, w[3].Tensor
			}
			gi := layerIn.MatMul(w[0].Tensor.T())
			if bih != nil {
				gi = gi.Add(bih)
			}
			var cInit *tl.Tensor
			if c.mode == rnnLSTM {
				cInit = c0.Select(0, idx)
			}
			packed := recurrence(c.mode, gi, h0.Select(0, idx), cInit, w[1].Tensor, bhh, d == 1)
			o := packed
			if c.mode == rnnLSTM {
				o = packed.Narrow(0, 0, steps)
				cs = append(cs, packed.Select(0, steps))
			}
			last := steps - 1
			if d == 1 {
				last = 0
			}
			hs = append(hs, o.Select(0, last))
			outs[d] = o
		}
		layerIn = outs[0]
		if dirs == 2 {
			layerIn = tl.Cat(outs, 2)
		}
		if c.training && c.o.Dropout > 0 && l < c.o.NumLayers-1 {
			layerIn = DropoutF(layerIn, c.o.Dropout, true)
		}
	}
	out, hn = layerIn, tl.Stack(hs, 0)
	if c.mode == rnnLSTM {
		cn = tl.Stack(cs, 0)
	}
	switch {
	case unbatched:
		out, hn = out.Squeeze(1), hn.Squeeze(1)
		if cn != nil {
			cn = cn.Squeeze(1)
		}
	case c.o.BatchFirst:
		out = out.Transpose(0, 1)
	}
	return out, hn, cn
}

// recurrence runs one layer in one direction over the precomputed input
// gates gi (L, N, gates·H) from h0 (N, H) (and c0 for LSTMs). It returns the
// hidden states (L, N, H) in input order; for LSTMs a last row holds the
// final cell state, (L+1, N, H).
func recurrence(mode rnnMode, gi, h0, c0, whh, bhh *tl.Tensor, reverse bool) *tl.Tensor {
	s := &rnnState{mode: mode, reverse: reverse}
	name := map[rnnMode]string{rnnTanh: "RnnTanhBackward0", rnnReLU: "RnnReluBackward0", rnnLSTM: "LstmBackward0", rnnGRU: "GruBackward0"}[mode]
	f := tl.Function{
		Name: name,
		Forward: func(in []*tl.Tensor) *tl.Tensor {
			return s.forward(in[0], in[1], in[2], in[3], in[4])
		},
		Backward: func(in []*tl.Tensor, _, g *tl.Tensor) []*tl.Tensor {
			return s.backward(g, in[3], in[4] != nil)
		},
	}
	return f.Apply(gi, h0, c0, whh, bhh)
}

// rnnStep holds what backward needs of one time step.
type rnnStep struct {
	hPrev, cPrev *tl.Tensor
	a, b, c, d   *tl.Tensor // LSTM: i, f, g, o; GRU: r, z, n, h·W_hn+b_hn; RNN: a = h
	tc           *tl.Tensor // LSTM: tanh(c)
}

// rnnState is one recurrence's saved steps, indexed by time.
type rnnState struct {
	mode    rnnMode
	reverse bool
	steps   []rnnStep
}

func (s *rnnState) order(L int) []int {
	ts := make([]int, L)
	for i := range ts {
		ts[i] = i
		if s.reverse {
			ts[i] = L - 1 - i
		}
	}
	return ts
}

func (s *rnnState) forward(gi, h0, c0, whh, bhh *tl.Tensor) *tl.Tensor {
	L := gi.Size(0)
	s.steps = make([]rnnStep, L)
	whhT := whh.T()
	hs := make([]*tl.Tensor, L, L+1)
	h, c := h0, c0
	for _, t := range s.order(L) {
		gh := h.MatMul(whhT)
		if bhh != nil {
			gh = gh.Add(bhh)
		}
		x := gi.Select(0, t)
		st := rnnStep{hPrev: h, cPrev: c}
		switch s.mode {
		case rnnLSTM:
			z := gh.Add(x).Chunk(4, 1)
			st.a, st.b, st.c, st.d = z[0].Sigmoid(), z[1].Sigmoid(), z[2].Tanh(), z[3].Sigmoid()
			c = st.b.Mul(c).Add(st.a.Mul(st.c))
			st.tc = c.Tanh()
			h = st.d.Mul(st.tc)
		case rnnGRU:
			ghc, gic := gh.Chunk(3, 1), x.Chunk(3, 1)
			st.a = ghc[0].Add(gic[0]).Sigmoid()
			st.b = ghc[1].Add(gic[1]).Sigmoid()
			st.d = ghc[2]
			st.c = gic[2].Add(st.d.Mul(st.a)).Tanh()
			h = h.Sub(st.c).Mul(st.b).Add(st.c)
		case rnnReLU:
			h = gh.Add(x).ReLU()
			st.a = h
		default:
			h = gh.Add(x).Tanh()
			st.a = h
		}
		s.steps[t] = st
		hs[t] = h
	}
	if s.mode == rnnLSTM {
		hs = append(hs, c)
	}
	return tl.Stack(hs, 0)
}

// oneMinus returns 1 − x.
func oneMinus(x *tl.Tensor) *tl.Tensor { return x.Neg().AddScalar(1) }

// backward propagates the gradient g of the stacked output through time,
// returning the gradients of gi, h0, c0, W_hh and b_hh.
func (s *rnnState) backward(g, whh *tl.Tensor, hasBias bool) []*tl.Tensor {
	L := len(s.steps)
	dgi := make([]*tl.Tensor, L) // gradient of the input gates per step
	dgh := make([]*tl.Tensor, L) // gradient of h·W_hhᵀ + b_hh per step (GRU differs from dgi)
	hPrev := make([]*tl.Tensor, L)
	first := s.steps[0].hPrev
	dh := tl.New(first.DType(), first.Shape()...)
	var dc *tl.Tensor
	if s.mode == rnnLSTM {
		dc = g.Select(0, L)
	}
	order := s.order(L)
	for k := L - 1; k >= 0; k-- {
		t := order[k]
		st := s.steps[t]
		hPrev[t] = st.hPrev
		dh = dh.Add(g.Select(0, t))
		switch s.mode {
		case rnnLSTM:
			i, f, gg, o := st.a, st.b, st.c, st.d
			do := dh.Mul(st.tc)
			dc = dc.Add(dh.Mul(o).Mul(oneMinus(st.tc.Mul(st.tc))))
			di, dg, df := dc.Mul(gg), dc.Mul(i), dc.Mul(st.cPrev)
			dc = dc.Mul(f)
			dgi[t] = tl.Cat([]*tl.Tensor{
				di.Mul(i.Mul(oneMinus(i))),
				df.Mul(f.Mul(oneMinus(f))),
				dg.Mul(oneMinus(gg.Mul(gg))),
				do.Mul(o.Mul(oneMinus(o))),
			}, 1)
			dgh[t] = dgi[t]
		case rnnGRU:
			r, z, n, ghn := st.a, st.b, st.c, st.d
			dn := dh.Mul(oneMinus(z)).Mul(oneMinus(n.Mul(n)))
			dz := dh.Mul(st.hPrev.Sub(n)).Mul(z.Mul(oneMinus(z)))
			dr := dn.Mul(ghn).Mul(r.Mul(oneMinus(r)))
			dgi[t] = tl.Cat([]*tl.Tensor{dr, dz, dn}, 1)
			dgh[t] = tl.Cat([]*tl.Tensor{dr, dz, dn.Mul(r)}, 1)
			dh = dh.Mul(z)
		case rnnReLU:
			dgi[t] = dh.Mul(st.a.GtScalar(0).To(dh.DType()))
			dgh[t] = dgi[t]
		default:
			dgi[t] = dh.Mul(oneMinus(st.a.Mul(st.a)))
			dgh[t] = dgi[t]
		}
		back := dgh[t].MatMul(whh)
		if s.mode == rnnGRU {
			dh = dh.Add(back)
		} else {
			dh = back
		}
	}
	dGI := tl.Stack(dgi, 0)
	dGH := dGI
	if s.mode == rnnGRU {
		dGH = tl.Stack(dgh, 0)
	}
	n, gates := dGH.Size(1), dGH.Size(2)
	flat := dGH.Reshape(L*n, gates)
	dW := flat.T().MatMul(tl.Stack(hPrev, 0).Reshape(L*n, -1))
	var db *tl.Tensor
	if hasBias {
		db = flat.SumDim(0, false)
	}
	return []*tl.Tensor{dGI, dh, dc, dW, db}
}

// String returns PyTorch's repr of the layer.
func (r *RNN) String() string { return rnnRepr("RNN", r.InputSize, r.HiddenSize, r.Options) }

// String returns PyTorch's repr of the layer.
func (r *LSTM) String() string { return rnnRepr("LSTM", r.InputSize, r.HiddenSize, r.Options) }

// String returns PyTorch's repr of the layer.
func (r *GRU) String() string { return rnnRepr("GRU", r.InputSize, r.HiddenSize, r.Options) }

// rnnRepr is RNNBase.extra_repr wrapped in the layer's name.
func rnnRepr(name string, in, hidden int, o RNNOptions) string {
	s := fmt.Sprintf("%s(%d, %d", name, in, hidden)
	if o.NumLayers > 1 {
		s += fmt.Sprintf(", num_layers=%d", o.NumLayers)
	}
	if o.NoBias {
		s += ", bias=False"
	}
	if o.BatchFirst {
		s += ", batch_first=True"
	}
	if o.Dropout != 0 {
		s += fmt.Sprintf(", dropout=%v", o.Dropout)
	}
	if o.Bidirectional {
		s += ", bidirectional=True"
	}
	return s + ")"
}
