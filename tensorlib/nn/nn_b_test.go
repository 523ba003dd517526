package nn_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/tensorlib/data"
	"github.com/gotensor/gt/tensorlib/nn"
	"github.com/gotensor/gt/tensorlib/optim"
)

// Golden cases of testdata/nn_b.json (tools/golden/nn_b.py, torch 1.13):
// convolution, pooling, recurrent and attention modules. Each case checks
// PyTorch-identical initialisation for the seed, the outputs and their
// grad_fn, and the gradients of the inputs and of every parameter.

// nbNum is a JSON number or boolean, or one of "nan", "inf", "-inf".
type nbNum float64

func (v *nbNum) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "true":
		*v = 1
		return nil
	case "false":
		*v = 0
		return nil
	}
	f, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	*v = nbNum(f)
	return err
}

type nbTensor struct {
	Values       []nbNum `json:"values"`
	Shape        []int   `json:"shape"`
	DType        string  `json:"dtype"`
	Name         string  `json:"name"`
	RequiresGrad bool    `json:"requires_grad"`
}

func (n *nbTensor) build() *tl.Tensor {
	if n == nil {
		return nil
	}
	d := make([]float64, len(n.Values))
	for i, v := range n.Values {
		d[i] = float64(v)
	}
	t := tl.FromFloat64s(d, n.Shape...)
	switch n.DType {
	case "float32":
		t = t.To(tl.Float32)
	case "bool":
		t = t.NeScalar(0)
	}
	return t
}

type nbOutput struct {
	Tensor nbTensor `json:"tensor"`
	GradFn string   `json:"grad_fn"`
	W      nbTensor `json:"w"`
}

type nbCase struct {
	Name       string         `json:"name"`
	Module     string         `json:"module"`
	Args       map[string]any `json:"args"`
	Seed       uint64         `json:"seed"`
	Repr       string         `json:"repr"`
	Params     []nbTensor     `json:"params"`
	Inputs     []*nbTensor    `json:"inputs"`
	Outputs    []*nbOutput    `json:"outputs"`
	InputGrads []*nbTensor    `json:"input_grads"`
	ParamGrads []*nbTensor    `json:"param_grads"`
}

func loadNNBCases(t *testing.T) []nbCase {
	t.Helper()
	raw, err := os.ReadFile("testdata/nn_b.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Torch string   `json:"torch"`
		Cases []nbCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) == 0 {
		t.Fatal("no cases")
	}
	return file.Cases
}

// nbArgs reads the case's constructor arguments.
type nbArgs map[string]any

func (a nbArgs) int(k string) int { return int(a[k].(float64)) }
func (a nbArgs) bool(k string) bool {
	v, ok := a[k].(bool)
	return ok && v
}
func (a nbArgs) str(k string) string { s, _ := a[k].(string); return s }
func (a nbArgs) ints(k string) []int {
	switch v := a[k].(type) {
	case nil:
		return nil
	case float64:
		return []int{int(v)}
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			out[i] = int(x.(float64))
		}
		return out
	}
	panic(fmt.Sprintf("arg %s: %T", k, a[k]))
}

// buildNNB constructs the case's module (after seeding) and returns it with
// a function running it on the inputs.
func buildNNB(c nbCase) (any, func(in []*tl.Tensor) []*tl.Tensor) {
	a := nbArgs(c.Args)
	switch c.Module {
	case "conv2d":
		k := a.ints("kernel")
		m := nn.NewConv2d(a.int("in"), a.int("out"), k[0], nn.Conv2dOptions{KernelSize: k, Stride: a.ints("stride"), Padding: a.ints("padding"), Dilation: a.ints("dilation"), Groups: nbIntOr(a, "groups", 0), NoBias: a["bias"] == false})
		return m, func(in []*tl.Tensor) []*tl.Tensor { return []*tl.Tensor{m.Forward(in[0])} }
	case "conv1d":
		first := func(v []int) int {
			if len(v) == 0 {
				return 0
			}
			return v[0]
		}
		m := nn.NewConv1d(a.int("in"), a.int("out"), a.int("kernel"), nn.Conv1dOptions{Stride: first(a.ints("stride")), Padding: first(a.ints("padding")), Dilation: first(a.ints("dilation")), Groups: nbIntOr(a, "groups", 0), NoBias: a["bias"] == false})
		return m, func(in []*tl.Tensor) []*tl.Tensor { return []*tl.Tensor{m.Forward(in[0])} }
	case "maxpool":
		m := nn.NewMaxPool2d(a.int("kernel"), tl.MaxPoolOptions{Stride: a.ints("stride"), Padding: a.ints("padding")})
		return m, func(in []*tl.Tensor) []*tl.Tensor { return []*tl.Tensor{m.Forward(in[0])} }
	case "avgpool":
		m := nn.NewAvgPool2d(a.int("kernel"))
		return m, func(in []*tl.Tensor) []*tl.Tensor { return []*tl.Tensor{m.Forward(in[0])} }
	case "adaptive":
		m := nn.NewAdaptiveAvgPool2d(a.ints("output_size")...)
		return m, func(in []*tl.Tensor) []*tl.Tensor { return []*tl.Tensor{m.Forward(in[0])} }
	case "rnn", "lstm", "gru":
		o := nn.RNNOptions{NumLayers: a.int("num_layers"), BatchFirst: a.bool("batch_first"), Bidirectional: a.bool("bidirectional"), NoBias: !a.bool("bias"), Nonlinearity: a.str("nonlinearity"), Dropout: a["dropout"].(float64)}
		switch c.Module {
		case "rnn":
			m := nn.NewRNN(a.int("input_size"), a.int("hidden_size"), o)
			return m, func(in []*tl.Tensor) []*tl.Tensor { out, h := m.Forward(in[0], in[1]); return []*tl.Tensor{out, h} }
		case "lstm":
			m := nn.NewLSTM(a.int("input_size"), a.int("hidden_size"), o)
			return m, func(in []*tl.Tensor) []*tl.Tensor {
				out, h, cc := m.Forward(in[0], in[1], in[2])
				return []*tl.Tensor{out, h, cc}
			}
		default:
			m := nn.NewGRU(a.int("input_size"), a.int("hidden_size"), o)
			return m, func(in []*tl.Tensor) []*tl.Tensor { out, h := m.Forward(in[0], in[1]); return []*tl.Tensor{out, h} }
		}
	case "mha":
		m := nn.NewMultiheadAttention(a.int("embed_dim"), a.int("num_heads"), nn.MultiheadAttentionOptions{BatchFirst: a.bool("batch_first"), NoBias: !a.bool("bias")})
		nn.Eval(m)
		return m, func(in []*tl.Tensor) []*tl.Tensor {
			q, k, v := in[0], in[1], in[2]
			if a.bool("self") {
				k, v = q, q
			}
			out, w := m.Forward(q, k, v, nn.AttentionOptions{KeyPaddingMask: in[3], AttnMask: in[4], NoWeights: !a.bool("need_weights"), PerHeadWeights: !a.bool("average")})
			return []*tl.Tensor{out, w}
		}
	case "encoder":
		m := nn.NewTransformerEncoderLayer(a.int("d_model"), a.int("nhead"), nn.TransformerEncoderLayerOptions{DimFeedforward: a.int("dim_feedforward"), Activation: a.str("activation"), NormFirst: a.bool("norm_first"), BatchFirst: a.bool("batch_first")})
		if !a.bool("train") {
			nn.Eval(m)
		}
		return m, func(in []*tl.Tensor) []*tl.Tensor { return []*tl.Tensor{m.ForwardMasked(in[0], in[1], in[2])} }
	}
	panic("unknown module " + c.Module)
}

func nbIntOr(a nbArgs, k string, def int) int {
	if _, ok := a[k]; !ok {
		return def
	}
	return a.int(k)
}

// nbCompare checks got against want within atol + rtol·|want|.
func nbCompare(t *testing.T, what string, got *tl.Tensor, want *nbTensor, rtol, atol float64) {
	t.Helper()
	if got == nil || want == nil {
		if (got == nil) != (want == nil) {
			t.Errorf("%s: got %v, torch has value: %v", what, got, want != nil)
		}
		return
	}
	if !equalInts(got.Shape(), want.Shape) {
		t.Errorf("%s: shape %v, torch %v", what, got.Shape(), want.Shape)
		return
	}
	bad, worst := 0, 0.0
	for i, g := range got.Float64s() {
		w := float64(want.Values[i])
		d := math.Abs(g - w)
		if !(d <= atol+rtol*math.Abs(w)) && !(math.IsNaN(g) && math.IsNaN(w)) && !(math.IsInf(w, 0) && g == w) {
			if bad < 3 {
				t.Errorf("%s: [%d] = %v, torch %v", what, i, g, w)
			}
			bad++
			worst = math.Max(worst, d)
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d values differ (worst by %g)", what, bad, len(want.Values), worst)
	}
}

func equalInts(a, b []int) bool {
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

// Float32 results go through different summation orders than PyTorch's
// BLAS and accumulate over recurrent steps and layers.
const nbRtol, nbAtol = 1e-5, 1e-6

// nbOwnGradFn lists outputs whose graph node differs from PyTorch's by
// design: a recurrent layer's output comes from one fused node (see
// rnn.go) where PyTorch stacks per-step results, and PyTorch's RNN and GRU
// transpose batch-first outputs in place (TransposeBackward1), which
// tensorlib has no op for.
func nbOwnGradFn(c nbCase, i int) bool {
	if i != 0 {
		return false
	}
	switch c.Module {
	case "rnn", "lstm", "gru":
		return c.Outputs[0].GradFn == "StackBackward0" || c.Outputs[0].GradFn == "TransposeBackward1"
	}
	return false
}

func TestNNBGolden(t *testing.T) {
	for _, c := range loadNNBCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			tl.ManualSeed(c.Seed)
			m, run := buildNNB(c)
			if s, ok := m.(fmt.Stringer); !ok || s.String() != c.Repr {
				t.Errorf("repr:\n%v\ntorch:\n%s", m, c.Repr)
			}
			named := nn.NamedParameters(m)
			if len(named) != len(c.Params) {
				t.Fatalf("%d parameters, torch %d", len(named), len(c.Params))
			}
			for i, p := range named {
				if p.Name != c.Params[i].Name {
					t.Errorf("parameter %d is %q, torch %q", i, p.Name, c.Params[i].Name)
				}
				nbCompare(t, "initial "+p.Name, p.Tensor, &c.Params[i], 1e-6, 1e-7)
			}
			in := make([]*tl.Tensor, len(c.Inputs))
			for i, x := range c.Inputs {
				in[i] = x.build()
				if in[i] != nil && x.RequiresGrad && x.DType != "bool" {
					in[i].SetRequiresGrad(true)
				}
			}
			outs := run(in)
			var loss *tl.Tensor
			for i, o := range c.Outputs {
				if o == nil {
					if outs[i] != nil {
						t.Errorf("output %d: got a tensor, torch None", i)
					}
					continue
				}
				nbCompare(t, fmt.Sprintf("output %d", i), outs[i], &o.Tensor, nbRtol, nbAtol)
				if outs[i] == nil {
					continue
				}
				if fn := outs[i].GradFn(); !nbOwnGradFn(c, i) && (fn == nil || fn.Name() != o.GradFn) {
					t.Errorf("output %d: grad_fn %v, torch %s", i, fn, o.GradFn)
				}
				term := outs[i].Mul(o.W.build()).Sum()
				if loss == nil {
					loss = term
				} else {
					loss = loss.Add(term)
				}
			}
			loss.Backward()
			for i, g := range c.InputGrads {
				if g == nil || in[i] == nil {
					continue
				}
				nbCompare(t, fmt.Sprintf("input %d grad", i), in[i].Grad(), g, nbRtol, nbAtol)
			}
			for i, p := range named {
				nbCompare(t, p.Name+" grad", p.Tensor.Grad(), c.ParamGrads[i], nbRtol, nbAtol)
			}
		})
	}
}

// nbGradcheck compares the gradients Backward computes for f at inputs
// (float64) with central finite differences of a random projection of f.
func nbGradcheck(t *testing.T, name string, f func(xs []*tl.Tensor) *tl.Tensor, inputs []*tl.Tensor) {
	t.Helper()
	const eps, atol, rtol = 1e-6, 1e-6, 1e-5
	datas := make([][]float64, len(inputs))
	for i, in := range inputs {
		datas[i] = in.Float64s()
	}
	leaves := func(grad bool) []*tl.Tensor {
		xs := make([]*tl.Tensor, len(inputs))
		for i, in := range inputs {
			xs[i] = tl.FromFloat64s(append([]float64{}, datas[i]...), in.Shape()...)
			if grad {
				xs[i].SetRequiresGrad(true)
			}
		}
		return xs
	}
	xs := leaves(true)
	out := f(xs)
	v := tl.NewGenerator(7).Rand(out.Shape()...).To(tl.Float64).MulScalar(2).AddScalar(-1)
	out.Mul(v).Sum().Backward()
	project := func() float64 {
		var s float64
		tl.NoGrad(func() { s = f(leaves(false)).Mul(v).Sum().Item() })
		return s
	}
	bad := 0
	for i := range inputs {
		var analytic []float64
		if g := xs[i].Grad(); g != nil {
			analytic = g.Float64s()
		} else {
			analytic = make([]float64, len(datas[i]))
		}
		for j := range datas[i] {
			orig := datas[i][j]
			datas[i][j] = orig + eps
			fp := project()
			datas[i][j] = orig - eps
			fm := project()
			datas[i][j] = orig
			num := (fp - fm) / (2 * eps)
			if math.Abs(analytic[j]-num) > atol+rtol*math.Abs(num) {
				if bad < 5 {
					t.Errorf("%s: input %d element %d: analytic %.10g, numerical %.10g", name, i, j, analytic[j], num)
				}
				bad++
			}
		}
	}
}

// TestRecurrentGradcheck checks the hand-written backpropagation through
// time of every recurrent mode against finite differences, for the input,
// the initial states and every weight of a two-layer bidirectional network.
func TestRecurrentGradcheck(t *testing.T) {
	type rnnCase struct {
		name  string
		build func() ([]nn.NamedTensor, func(ws []nn.NamedTensor, x, h, c *tl.Tensor) *tl.Tensor)
	}
	opts := nn.RNNOptions{NumLayers: 2, Bidirectional: true}
	const in, hidden = 2, 3
	cases := []rnnCase{
		{"RNN/tanh", func() ([]nn.NamedTensor, func([]nn.NamedTensor, *tl.Tensor, *tl.Tensor, *tl.Tensor) *tl.Tensor) {
			m := nn.NewRNN(in, hidden, opts)
			return m.Weights, func(ws []nn.NamedTensor, x, h, _ *tl.Tensor) *tl.Tensor {
				m.Weights = ws
				out, hn := m.Forward(x, h)
				return tl.Cat([]*tl.Tensor{out.Flatten(), hn.Flatten()}, 0)
			}
		}},
		{"RNN/relu", func() ([]nn.NamedTensor, func([]nn.NamedTensor, *tl.Tensor, *tl.Tensor, *tl.Tensor) *tl.Tensor) {
			o := opts
			o.Nonlinearity = "relu"
			m := nn.NewRNN(in, hidden, o)
			return m.Weights, func(ws []nn.NamedTensor, x, h, _ *tl.Tensor) *tl.Tensor {
				m.Weights = ws
				out, hn := m.Forward(x, h)
				return tl.Cat([]*tl.Tensor{out.Flatten(), hn.Flatten()}, 0)
			}
		}},
		{"LSTM", func() ([]nn.NamedTensor, func([]nn.NamedTensor, *tl.Tensor, *tl.Tensor, *tl.Tensor) *tl.Tensor) {
			m := nn.NewLSTM(in, hidden, opts)
			return m.Weights, func(ws []nn.NamedTensor, x, h, c *tl.Tensor) *tl.Tensor {
				m.Weights = ws
				out, hn, cn := m.Forward(x, h, c)
				return tl.Cat([]*tl.Tensor{out.Flatten(), hn.Flatten(), cn.Flatten()}, 0)
			}
		}},
		{"GRU", func() ([]nn.NamedTensor, func([]nn.NamedTensor, *tl.Tensor, *tl.Tensor, *tl.Tensor) *tl.Tensor) {
			m := nn.NewGRU(in, hidden, opts)
			return m.Weights, func(ws []nn.NamedTensor, x, h, _ *tl.Tensor) *tl.Tensor {
				m.Weights = ws
				out, hn := m.Forward(x, h)
				return tl.Cat([]*tl.Tensor{out.Flatten(), hn.Flatten()}, 0)
			}
		}},
	}
	for _, c := range cases {
		tl.ManualSeed(1)
		ws, run := c.build()
		g := tl.NewGenerator(2)
		inputs := []*tl.Tensor{g.Randn(3, 2, in).To(tl.Float64), g.Randn(4, 2, hidden).To(tl.Float64), g.Randn(4, 2, hidden).To(tl.Float64)}
		for _, w := range ws {
			// Scaled up so that the gates leave their linear regime.
			inputs = append(inputs, w.Tensor.Detach().To(tl.Float64).MulScalar(3))
		}
		nbGradcheck(t, c.name, func(xs []*tl.Tensor) *tl.Tensor {
			named := make([]nn.NamedTensor, len(ws))
			for i, w := range ws {
				named[i] = nn.NamedTensor{Name: w.Name, Tensor: xs[3+i]}
			}
			return run(named, xs[0], xs[1], xs[2])
		}, inputs)
	}
}

// idxBytes encodes unsigned bytes with the given dimensions as an IDX file
// (the MNIST format).
func idxBytes(vals []byte, dims ...int) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(vals)
	return b.Bytes()
}

// shapesFixture draws n 12×12 images of four classes (a horizontal bar, a
// vertical bar, a diagonal, a hollow square) at random positions with
// noise, as IDX files of images and labels.
func shapesFixture(n int) (images, labels []byte) {
	const size = 12
	r := rand.New(rand.NewPCG(1, 2))
	images = make([]byte, n*size*size)
	labels = make([]byte, n)
	for i := 0; i < n; i++ {
		img := images[i*size*size : (i+1)*size*size]
		for j := range img {
			img[j] = byte(r.IntN(60))
		}
		set := func(y, x int) { img[y*size+x] = byte(200 + r.IntN(56)) }
		cls := i % 4
		labels[i] = byte(cls)
		y0, x0 := 1+r.IntN(4), 1+r.IntN(4)
		for k := 0; k < 6; k++ {
			switch cls {
			case 0:
				set(y0+2, x0+k)
			case 1:
				set(y0+k, x0+2)
			case 2:
				set(y0+k, x0+k)
			case 3:
				set(y0, x0+k)
				set(y0+5, x0+k)
				set(y0+k, x0)
				set(y0+k, x0+5)
			}
		}
	}
	return idxBytes(images, n, size, size), idxBytes(labels, n)
}

// smallCNN is Conv2d → ReLU → MaxPool2d → Linear.
type smallCNN struct {
	Conv *nn.Conv2d
	Pool *nn.MaxPool2d
	FC   *nn.Linear
}

func (m *smallCNN) Forward(x *tl.Tensor) *tl.Tensor {
	h := m.Pool.Forward(m.Conv.Forward(x).ReLU())
	return m.FC.Forward(h.Flatten(1))
}

// TestTrainSmallCNN trains a small CNN on a synthetic MNIST-format fixture
// read through data.ReadIDX; the loss must fall below a third of its
// initial value.
func TestTrainSmallCNN(t *testing.T) {
	imgIDX, lblIDX := shapesFixture(64)
	imgs, err := data.ReadIDX(bytes.NewReader(imgIDX))
	if err != nil {
		t.Fatal(err)
	}
	lbls, err := data.ReadIDX(bytes.NewReader(lblIDX))
	if err != nil {
		t.Fatal(err)
	}
	x := imgs.To(tl.Float32).DivScalar(255).Unsqueeze(1) // (64, 1, 12, 12)
	y := lbls                                            // (64) int64

	tl.ManualSeed(0)
	model := &smallCNN{
		Conv: nn.NewConv2d(1, 8, 3, nn.Conv2dOptions{Padding: []int{1}}),
		Pool: nn.NewMaxPool2d(2),
		FC:   nn.NewLinear(8*6*6, 4),
	}
	if got := nn.NamedParameters(model)[0].Name; got != "conv.weight" {
		t.Errorf("first parameter %q", got)
	}
	opt := optim.NewAdam(nn.Parameters(model), optim.AdamOptions{LR: 0.01})
	var first, last float64
	for step := 0; step < 40; step++ {
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss(model.Forward(x), y)
		loss.Backward()
		opt.Step()
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
	}
	t.Logf("loss %.4f → %.4f", first, last)
	if !(last < first/3) {
		t.Errorf("loss fell from %.4f to %.4f only", first, last)
	}
	var acc float64
	tl.NoGrad(func() { acc = model.Forward(x).ArgmaxDim(1, false).Eq(y).To(tl.Float32).Mean().Item() })
	if acc < 0.9 {
		t.Errorf("training accuracy %.2f", acc)
	}
}

// charLSTM is Embedding → LSTM → Linear over characters.
type charLSTM struct {
	Embed *nn.Embedding
	LSTM  *nn.LSTM
	Head  *nn.Linear
}

func (m *charLSTM) Forward(ids *tl.Tensor) *tl.Tensor {
	out, _, _ := m.LSTM.Forward(m.Embed.Forward(ids), nil, nil)
	return m.Head.Forward(out)
}

// TestTrainCharLSTM trains a character-level LSTM to predict the next
// character of a repeated sentence; the loss must fall below a third of its
// initial value.
func TestTrainCharLSTM(t *testing.T) {
	text := strings.Repeat("the quick gopher jumps over the lazy tensor. ", 4)
	var vocab []rune
	index := map[rune]int64{}
	for _, r := range text {
		if _, ok := index[r]; !ok {
			index[r] = 0
			vocab = append(vocab, r)
		}
	}
	sort.Slice(vocab, func(i, j int) bool { return vocab[i] < vocab[j] })
	for i, r := range vocab {
		index[r] = int64(i)
	}
	ids := make([]int64, 0, len(text))
	for _, r := range text {
		ids = append(ids, index[r])
	}
	// Batch-first windows of 20 characters and their successors.
	const seq, batch = 20, 24
	in, tgt := make([]int64, 0, batch*seq), make([]int64, 0, batch*seq)
	for b := 0; b < batch; b++ {
		start := b * 5
		in = append(in, ids[start:start+seq]...)
		tgt = append(tgt, ids[start+1:start+seq+1]...)
	}
	x := tl.FromInt64s(in, batch, seq)
	y := tl.FromInt64s(tgt, batch*seq)

	tl.ManualSeed(0)
	v := len(vocab)
	model := &charLSTM{
		Embed: nn.NewEmbedding(v, 8),
		LSTM:  nn.NewLSTM(8, 32, nn.RNNOptions{BatchFirst: true}),
		Head:  nn.NewLinear(32, v),
	}
	opt := optim.NewAdam(nn.Parameters(model), optim.AdamOptions{LR: 0.02})
	var first, last float64
	for step := 0; step < 60; step++ {
		opt.ZeroGrad()
		logits := model.Forward(x).Reshape(batch*seq, v)
		loss := nn.CrossEntropyLoss(logits, y)
		loss.Backward()
		opt.Step()
		if step == 0 {
			first = loss.Item()
		}
		last = loss.Item()
	}
	t.Logf("loss %.4f → %.4f", first, last)
	if !(last < first/3) {
		t.Errorf("loss fell from %.4f to %.4f only", first, last)
	}
}

func ExampleNewConv2d() {
	tl.ManualSeed(0)
	conv := nn.NewConv2d(1, 4, 3, nn.Conv2dOptions{Padding: []int{1}})
	pool := nn.NewMaxPool2d(2)
	fmt.Println(conv)
	fmt.Println(pool)
	y := pool.Forward(conv.Forward(tl.Zeros(2, 1, 8, 8)))
	fmt.Println(y.Shape(), y.GradFn())
	// Output:
	// Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
	// MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
	// [2 4 4 4] <MaxPool2DWithIndicesBackward0>
}

func ExampleLSTM_Forward() {
	tl.ManualSeed(0)
	lstm := nn.NewLSTM(3, 5, nn.RNNOptions{NumLayers: 2, BatchFirst: true})
	x := tl.Randn(4, 7, 3) // a batch of 4 sequences of 7 steps
	out, h, c := lstm.Forward(x, nil, nil)
	fmt.Println(lstm)
	fmt.Println(out.Shape(), h.Shape(), c.Shape())
	for _, p := range nn.NamedParameters(lstm)[:4] {
		fmt.Println(p.Name, p.Tensor.Shape())
	}
	// Output:
	// LSTM(3, 5, num_layers=2, batch_first=True)
	// [4 7 5] [2 4 5] [2 4 5]
	// weight_ih_l0 [20 3]
	// weight_hh_l0 [20 5]
	// bias_ih_l0 [20]
	// bias_hh_l0 [20]
}

func ExampleMultiheadAttention_Forward() {
	tl.ManualSeed(0)
	mha := nn.NewMultiheadAttention(8, 2, nn.MultiheadAttentionOptions{BatchFirst: true})
	x := tl.Randn(3, 5, 8) // batch 3, length 5, embedding 8
	pos := tl.Arange(5)
	causal := pos.Unsqueeze(1).Lt(pos.Unsqueeze(0)) // true above the diagonal: no peeking ahead
	out, w := mha.Forward(x, x, x, nn.AttentionOptions{AttnMask: causal})
	fmt.Println(out.Shape(), w.Shape())
	fmt.Println(w.Select(0, 0).Select(0, 0)) // the first query sees only the first key
	// Output:
	// [3 5 8] [3 5 5]
	// tensor([1., 0., 0., 0., 0.], grad_fn=<SelectBackward0>)
}

func ExampleNewTransformerEncoderLayer() {
	layer := nn.NewTransformerEncoderLayer(8, 2, nn.TransformerEncoderLayerOptions{DimFeedforward: 16})
	fmt.Println(layer)
	// Output:
	// TransformerEncoderLayer(
	//   (self_attn): MultiheadAttention(
	//     (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)
	//   )
	//   (linear1): Linear(in_features=8, out_features=16, bias=True)
	//   (dropout): Dropout(p=0.1, inplace=False)
	//   (linear2): Linear(in_features=16, out_features=8, bias=True)
	//   (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)
	//   (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)
	//   (dropout1): Dropout(p=0.1, inplace=False)
	//   (dropout2): Dropout(p=0.1, inplace=False)
	// )
}

func BenchmarkLSTMForwardBackward(b *testing.B) {
	tl.ManualSeed(0)
	lstm := nn.NewLSTM(64, 128)
	x := tl.Randn(100, 32, 64).SetRequiresGrad(true)
	for i := 0; i < b.N; i++ {
		out, _, _ := lstm.Forward(x, nil, nil)
		out.Sum().Backward()
	}
}

// TestRecurrentStateDict checks that recurrent weights appear in state dicts
// under PyTorch's names and load back.
func TestRecurrentStateDict(t *testing.T) {
	tl.ManualSeed(3)
	src := nn.NewGRU(3, 4, nn.RNNOptions{NumLayers: 2, Bidirectional: true})
	dst := nn.NewGRU(3, 4, nn.RNNOptions{NumLayers: 2, Bidirectional: true})
	sd := nn.StateDictOf(src)
	want := []string{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_ih_l1"}
	if keys := sd.Keys(); len(keys) != 16 || !equalStrings(keys[:len(want)], want) {
		t.Fatalf("state dict keys %v", keys)
	}
	if w, _ := sd.Get("weight_ih_l1"); !equalInts(w.Shape(), []int{12, 8}) {
		t.Errorf("weight_ih_l1 has shape %v", w.Shape())
	}
	if err := nn.LoadStateDict(dst, sd, true); err != nil {
		t.Fatal(err)
	}
	x := tl.Randn(5, 2, 3)
	a, _ := src.Forward(x, nil)
	b, _ := dst.Forward(x, nil)
	if d := a.Sub(b).Abs().Max().Item(); d != 0 {
		t.Errorf("loaded GRU differs by %g", d)
	}
	if dst.Param("bias_hh_l1_reverse") == nil || dst.Param("nope") != nil {
		t.Error("Param lookup")
	}
	// A model holding the layer prefixes the names with the field's.
	type model struct{ Encoder *nn.LSTM }
	names := nn.NamedParameters(&model{nn.NewLSTM(2, 3)})
	if names[1].Name != "encoder.weight_hh_l0" {
		t.Errorf("nested name %q", names[1].Name)
	}
}

func equalStrings(a, b []string) bool {
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

func TestNNBErrors(t *testing.T) {
	tl.ManualSeed(0)
	lstm := nn.NewLSTM(3, 4, nn.RNNOptions{NumLayers: 2})
	mha := nn.NewMultiheadAttention(4, 2)
	x := tl.Zeros(5, 2, 4)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"rnn input size", func() { lstm.Forward(tl.Zeros(5, 2, 4), nil, nil) }, "input.size(-1) must be equal to input_size. Expected 3, got 4"},
		{"rnn rank", func() { lstm.Forward(tl.Zeros(5), nil, nil) }, "expected input to be 2D or 3D"},
		{"rnn hidden", func() { lstm.Forward(tl.Zeros(5, 2, 3), tl.Zeros(1, 2, 4), nil) }, "expected hidden size [2 2 4], got [1 2 4]"},
		{"rnn cell", func() { lstm.Forward(tl.Zeros(5, 2, 3), nil, tl.Zeros(2, 3, 4)) }, "expected cell size [2 2 4]"},
		{"nonlinearity", func() { nn.NewRNN(2, 3, nn.RNNOptions{Nonlinearity: "gelu"}) }, "unknown nonlinearity 'gelu'"},
		{"heads", func() { nn.NewMultiheadAttention(6, 4) }, "embed_dim must be divisible by num_heads"},
		{"embed", func() { mha.Forward(tl.Zeros(5, 2, 3), tl.Zeros(5, 2, 3), tl.Zeros(5, 2, 3)) }, "was expecting embedding dimension of 4, but got 3"},
		{"attn mask", func() { mha.Forward(x, x, x, nn.AttentionOptions{AttnMask: tl.Zeros(4, 5)}) }, "the shape of attn_mask is [4 5]"},
		{"kpm", func() { mha.Forward(x, x, x, nn.AttentionOptions{KeyPaddingMask: tl.Zeros(5, 2)}) }, "expecting key_padding_mask shape of [2 5]"},
		{"kpm dtype", func() { mha.Forward(x, x, x, nn.AttentionOptions{KeyPaddingMask: tl.New(tl.Int64, 2, 5)}) }, "only bool and floating types of key_padding_mask"},
		{"padding mode", func() { nn.NewConv2d(1, 2, 3, nn.Conv2dOptions{PaddingMode: "reflect"}) }, "padding_mode reflect is not supported"},
		{"conv groups", func() { nn.NewConv1d(3, 4, 3, nn.Conv1dOptions{Groups: 2}) }, "in_channels must be divisible by groups"},
		{"activation", func() { nn.NewTransformerEncoderLayer(4, 2, nn.TransformerEncoderLayerOptions{Activation: "tanh"}) }, "activation should be relu/gelu, not tanh"},
	}
	for _, c := range cases {
		err := tl.Catch(c.f)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
