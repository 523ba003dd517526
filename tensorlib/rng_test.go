package tensorlib

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"maps"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Tolerances for normal samples; everything else must match torch bit for bit.
//
// Float64 normals (and the double samples behind fewer than 16 float32 ones)
// use Go's math.Log and math.Sincos where torch calls glibc's log and sincos,
// which round differently in the last bit or two. So a float64 normal x with
// mean m may differ from torch's by maxEpsFloat64Normal·2⁻⁵²·(|x−m|+|m|); the
// worst seen is about 2.6.
//
// Float32 normals from 16 values up come from torch's AVX2 kernel, which
// normal16Float32 reproduces exactly, so they must match bit for bit (a
// tolerance would hide a wrongly fused or unfused operation). Fewer than 16 are
// double samples rounded to float32, which almost always hides the libm
// difference; they may be maxULPFloat32Small ulp off. The test logs how many
// values are not bit-identical.
const (
	maxULPFloat32Small  = 1
	maxEpsFloat64Normal = 8
)

// jsonNum is a JSON number, or one of the strings "nan", "inf", "-inf".
type jsonNum string

func (j *jsonNum) UnmarshalJSON(b []byte) error {
	*j = jsonNum(strings.Trim(string(b), `"`))
	return nil
}

// float parses j as a float of bitSize 32 or 64 (float32 values are written as
// their shortest float32 decimal).
func (j jsonNum) float(t *testing.T, bitSize int) float64 {
	v, err := strconv.ParseFloat(string(j), bitSize)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (j jsonNum) int(t *testing.T) int64 {
	v, err := strconv.ParseInt(string(j), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type rngOp struct {
	Kind, Dtype string
	N           int
	A, B        jsonNum   // parameters (see tools/golden/rng.py); "null" if unused
	Out         []jsonNum // torch's output; empty in digest cases
	Digest      string    // SHA-256 of the output's little-endian bytes
}

type rngCase struct {
	Name        string
	Seed        uint64
	Generator   string // "explicit" or "default"
	InitialSeed uint64 `json:"initial_seed"`
	State       string // base64 torch get_state() after the ops, if recorded
	Ops         []rngOp
}

func loadRNGCases(t *testing.T) []rngCase {
	raw, err := os.ReadFile("testdata/rng.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct{ Cases []rngCase }
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	return file.Cases
}

// ulps32 gives the distance between two float32 values in representable steps.
func ulps32(a, b float32) uint64 {
	ord := func(f float32) int64 {
		u := math.Float32bits(f)
		if u>>31 != 0 {
			return -int64(u &^ (1 << 31))
		}
		return int64(u)
	}
	d := ord(a) - ord(b)
	return uint64(max(d, -d))
}

// closeNormal64 reports whether a float64 normal sample with mean m is within
// the libm tolerance of torch's (see maxEpsFloat64Normal).
func closeNormal64(got, want, m float64) bool {
	return math.Abs(got-want) <= maxEpsFloat64Normal*0x1p-52*(math.Abs(want-m)+math.Abs(m))
}

// rngStats counts, per kind of comparison, values checked and values that were
// within tolerance but not bit-identical.
type rngStats struct{ checked, inexact map[string]int }

// runRNGOp runs o on g and returns its output: []float32, []float64 or []int64.
func runRNGOp(t *testing.T, g *Generator, o rngOp) any {
	a, b := 0.0, 1.0 // rand and randn
	if o.Kind == "uniform" || o.Kind == "normal" {
		a, b = o.A.float(t, 64), o.B.float(t, 64)
	}
	normal := o.Kind == "randn" || o.Kind == "normal"
	switch {
	case o.Dtype == "float32" && normal:
		d := make([]float32, o.N)
		g.fillNormalFloat32(d, a, b)
		return d
	case o.Dtype == "float32":
		d := make([]float32, o.N)
		g.fillUniformFloat32(d, a, b)
		return d
	case o.Dtype == "float64" && normal:
		d := make([]float64, o.N)
		g.fillNormalFloat64(d, a, b)
		return d
	case o.Dtype == "float64":
		d := make([]float64, o.N)
		g.fillUniformFloat64(d, a, b)
		return d
	case o.Kind == "randint":
		d := make([]int64, o.N)
		g.fillRandInt(d, o.A.int(t), o.B.int(t))
		return d
	case o.Kind == "randperm":
		return g.randPerm(o.N)
	}
	t.Fatalf("unknown op %s %s", o.Kind, o.Dtype)
	return nil
}

// checkRNGOp runs o on g and compares with torch's output (or its digest).
func checkRNGOp(t *testing.T, g *Generator, o rngOp, st rngStats) {
	t.Helper()
	got := runRNGOp(t, g, o)
	class := o.Kind + " " + o.Dtype
	if o.Digest != "" {
		h := sha256.New()
		if err := binary.Write(h, binary.LittleEndian, got); err != nil {
			t.Fatal(err)
		}
		if d := hex.EncodeToString(h.Sum(nil)); d != o.Digest {
			t.Fatalf("%s n=%d: output digest %s, torch %s", class, o.N, d, o.Digest)
		}
		st.checked["digest: "+class] += o.N
		return
	}
	if len(o.Out) != o.N {
		t.Fatalf("%s: golden has %d values, want %d", class, len(o.Out), o.N)
	}
	normal := o.Kind == "randn" || o.Kind == "normal"
	mean := 0.0
	if o.Kind == "normal" {
		mean = o.A.float(t, 64)
	}
	if normal && o.Dtype == "float32" {
		class = "normal float32, n >= 16 (AVX2 kernel)"
		if o.N < 16 {
			class = "normal float32, n < 16 (double samples)"
		}
	}
	for i, w := range o.Out {
		var v any // got[i]
		var exact, ok bool
		switch got := got.(type) {
		case []float32:
			want := float32(w.float(t, 32))
			v, exact = got[i], math.Float32bits(got[i]) == math.Float32bits(want)
			ok = exact || normal && o.N < 16 && ulps32(got[i], want) <= maxULPFloat32Small
		case []float64:
			want := w.float(t, 64)
			v, exact = got[i], math.Float64bits(got[i]) == math.Float64bits(want)
			ok = exact || normal && closeNormal64(got[i], want, mean)
		case []int64:
			v, exact = got[i], got[i] == w.int(t)
			ok = exact
		}
		if !ok {
			t.Fatalf("%s n=%d: [%d] = %v, torch %s", o.Kind+" "+o.Dtype, o.N, i, v, w)
		}
		st.checked[class]++
		if !exact {
			st.inexact[class]++
		}
	}
}

// checkState compares g.State() with torch's get_state() bytes: exactly, except
// the cached double normal, which may differ in the last bits (see
// maxEpsFloat64Normal).
func checkState(t *testing.T, g *Generator, want []byte) {
	t.Helper()
	got := g.State()
	if len(got) != len(want) {
		t.Fatalf("state is %d bytes, torch %d", len(got), len(want))
	}
	y := stateOffNormalY
	gotY := math.Float64frombits(binary.LittleEndian.Uint64(got[y:]))
	wantY := math.Float64frombits(binary.LittleEndian.Uint64(want[y:]))
	if !closeNormal64(gotY, wantY, 0) {
		t.Errorf("cached normal %v, torch %v", gotY, wantY)
	}
	copy(got[y:y+8], want[y:y+8])
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("state differs from torch's first at byte %d", i)
		}
	}
}

func TestGeneratorMatchesTorch(t *testing.T) {
	cases := loadRNGCases(t)
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/rng.json")
	}
	st := rngStats{map[string]int{}, map[string]int{}}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			var g *Generator
			if c.Generator == "default" {
				ManualSeed(c.Seed)
				g = DefaultGenerator()
			} else {
				g = NewGenerator(c.Seed)
			}
			if g.InitialSeed() != c.InitialSeed {
				t.Errorf("InitialSeed() = %d, torch %d", g.InitialSeed(), c.InitialSeed)
			}
			for _, o := range c.Ops {
				checkRNGOp(t, g, o, st)
			}
			if c.State != "" {
				want, err := base64.StdEncoding.DecodeString(c.State)
				if err != nil {
					t.Fatal(err)
				}
				checkState(t, g, want)
				// torch's state must load and continue the same stream.
				h := NewGenerator(0)
				if err := h.SetState(want); err != nil {
					t.Fatalf("SetState(torch state): %v", err)
				}
				if a, b := g.random64(), h.random64(); a != b {
					t.Errorf("after SetState(torch state) draw %x, want %x", b, a)
				}
			}
		})
	}
	for _, class := range slices.Sorted(maps.Keys(st.checked)) {
		t.Logf("%-42s %6d values, %d not bit-identical", class, st.checked[class], st.inexact[class])
	}
}

// drawMix consumes g through every fill path and returns the raw bits.
func drawMix(g *Generator) []uint64 {
	var out []uint64
	f32 := make([]float32, 21)
	f64 := make([]float64, 3)
	ints := make([]int64, 5)
	g.fillNormalFloat32(f32[:3], 0, 1) // leaves a cached normal
	g.fillNormalFloat32(f32, 0, 1)
	g.fillNormalFloat64(f64, 1, 2)
	g.fillUniformFloat32(f32[:4], -1, 1)
	g.fillRandInt(ints, -3, 1<<40)
	for _, v := range f32 {
		out = append(out, uint64(math.Float32bits(v)))
	}
	for _, v := range f64 {
		out = append(out, math.Float64bits(v))
	}
	for _, v := range ints {
		out = append(out, uint64(v))
	}
	for _, v := range g.randPerm(9) {
		out = append(out, uint64(v))
	}
	return append(out, uint64(g.random32()), g.random64())
}

func TestGeneratorStateRoundTrip(t *testing.T) {
	g := NewGenerator(2024)
	g.fillNormalFloat64(make([]float64, 1), 0, 1) // cache a spare normal
	s := g.State()
	if !g.hasNormal {
		t.Fatal("expected a cached normal")
	}
	want := drawMix(g)

	h := NewGenerator(1)
	if err := h.SetState(s); err != nil {
		t.Fatal(err)
	}
	if h.InitialSeed() != 2024 {
		t.Errorf("InitialSeed after SetState = %d, want 2024", h.InitialSeed())
	}
	if got := drawMix(h); !slices.Equal(got, want) {
		t.Error("generator restored with SetState diverged")
	}
	if !bytes.Equal(g.State(), h.State()) {
		t.Error("states differ after identical draws")
	}
	if err := g.SetState(s); err != nil { // rewind g itself
		t.Fatal(err)
	}
	if got := drawMix(g); !slices.Equal(got, want) {
		t.Error("rewound generator diverged")
	}
}

func TestGeneratorSetStateRejectsCorrupt(t *testing.T) {
	g := NewGenerator(99)
	g.random32()
	good := g.State()
	le := binary.LittleEndian
	mutate := func(f func(b []byte)) []byte {
		b := append([]byte(nil), good...)
		f(b)
		return b
	}
	tests := []struct {
		name  string
		state []byte
	}{
		{"nil", nil},
		{"short", good[:len(good)-1]},
		{"long", append(append([]byte(nil), good...), 0)},
		{"not seeded", mutate(func(b []byte) { le.PutUint32(b[12:], 0) })},
		{"left 0", mutate(func(b []byte) { le.PutUint32(b[8:], 0) })},
		{"left 625", mutate(func(b []byte) { le.PutUint32(b[8:], 625) })},
		{"left negative", mutate(func(b []byte) { le.PutUint32(b[8:], 0xffffffff) })},
		{"next past end", mutate(func(b []byte) { le.PutUint64(b[16:], 625) })},
		{"next inconsistent with left", mutate(func(b []byte) { le.PutUint64(b[16:], 7) })},
		{"word over 32 bits", mutate(func(b []byte) { b[stateOffMT+8*5+4] = 1 })},
		{"all-zero words", mutate(func(b []byte) { clear(b[stateOffMT : stateOffMT+8*mtN]) })},
		{"normal flag 2", mutate(func(b []byte) { le.PutUint32(b[stateOffValid:], 2) })},
		{"float normal flag", mutate(func(b []byte) { b[stateOffFloat+4] = 1 })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := g.SetState(tt.state); err == nil {
				t.Fatal("SetState accepted a corrupt state")
			}
			if !bytes.Equal(g.State(), good) {
				t.Fatal("failed SetState changed the generator")
			}
		})
	}
}

func TestGeneratorConcurrentDraws(t *testing.T) {
	const workers, draws = 8, 500
	g, ref := NewGenerator(3), NewGenerator(3)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float32, 20)
			for i := 0; i < draws; i++ {
				g.fillUniformFloat32(buf[:1], 0, 1) // 1 draw
				g.random32()                        // 1 draw
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 2*workers*draws; i++ {
		ref.random32()
	}
	if a, b := g.random64(), ref.random64(); a != b {
		t.Fatalf("concurrent draws lost or duplicated state: %x vs %x", a, b)
	}
}

func TestDefaultGenerator(t *testing.T) {
	s := DefaultGenerator().State()
	defer func() {
		if err := DefaultGenerator().SetState(s); err != nil {
			t.Fatal(err)
		}
	}()
	ManualSeed(defaultSeed)
	if DefaultGenerator().InitialSeed() != 67280421310721 {
		t.Fatal("wrong default seed")
	}
	if a, b := DefaultGenerator().random64(), NewGenerator(67280421310721).random64(); a != b {
		t.Fatal("ManualSeed does not seed the default generator")
	}
}

// TestFma32 checks fma32 against exact rational arithmetic.
func TestFma32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func() float32 { // |x| in [2⁻⁸⁷, 2²⁸): products reach the subnormal range
		return math.Float32frombits(r.Uint32()&0x807fffff | uint32(40+r.IntN(116))<<23)
	}
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		x.Mul(x, big.NewFloat(float64(b)))
		x.Add(x, big.NewFloat(float64(c)))
		f, _ := x.Float32()
		return f
	}
	// (1+2⁻¹²)² = 1 + 2⁻¹¹ + 2⁻²⁴ lies halfway between two float32 values; a
	// tiny c decides the rounding but vanishes when a*b+c is rounded to double.
	const h = 1 + 0x1p-12
	cases := [][3]float32{
		{h, h, 0x1p-60}, {h, h, -0x1p-60}, {-h, h, 0x1p-60}, {-h, h, -0x1p-60},
		{h, h, 0}, {0.1, 0.7, 0.3}, {0, 5, -0.0}, {-0.0, 5, 0},
	}
	for i := 0; i < 200000; i++ {
		a, b := rnd(), rnd()
		c := rnd()
		if i%2 == 0 { // cancellation: c close to -a*b
			c = -float32(float64(a)*float64(b)) * (1 + float32(r.IntN(3))*0x1p-23)
		}
		cases = append(cases, [3]float32{a, b, c})
	}
	for _, c := range cases {
		if got, want := fma32(c[0], c[1], c[2]), exact(c[0], c[1], c[2]); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", c[0], c[1], c[2], got, want)
		}
	}
}

func BenchmarkRandn(b *testing.B) {
	g := NewGenerator(0)
	dst := make([]float32, 1<<20)
	b.SetBytes(4 << 20)
	for b.Loop() {
		g.fillNormalFloat32(dst, 0, 1)
	}
}
