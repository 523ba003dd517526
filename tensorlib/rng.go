package tensorlib

import (
	"encoding/binary"
	"errors"
	"math"
	"sync"
)

// Mersenne Twister (mt19937) parameters, as in ATen's MT19937RNGEngine.h.
const (
	mtN       = 624
	mtM       = 397
	mtMatrixA = 0x9908b0df
	mtUpper   = 0x80000000
	mtLower   = 0x7fffffff
)

// defaultSeed is the seed of torch.Generator() and of DefaultGenerator.
const defaultSeed = 67280421310721

// Generator is a random number generator whose streams match PyTorch 1.13's
// CPU generator (mt19937): for the same seed and the same sequence of calls it
// produces the values torch does, bit for bit, with one exception. Double
// precision normal samples (all float64 normals, and float32 normals drawn
// fewer than 16 at a time) use Go's math.Log and math.Sincos where torch calls
// glibc, so they can differ from torch's in the last bit or two; the stream
// position never differs. A Generator is safe for concurrent use.
type Generator struct {
	mu        sync.Mutex
	seed      uint64      // initial seed, all 64 bits
	mt        [mtN]uint32 // mt19937 state words
	left      int         // draws left before the next twist (1..mtN)
	next      int         // index of the next state word to temper
	normal    float64     // cached spare standard normal sample
	hasNormal bool
}

// NewGenerator returns a generator seeded with seed, like
// torch.Generator().manual_seed(seed).
func NewGenerator(seed uint64) *Generator {
	g := &Generator{}
	g.seedLocked(seed)
	return g
}

// ManualSeed reseeds g like torch.Generator.manual_seed: the mt19937 state is
// initialised from the low 32 bits of seed and the cached normal is dropped.
// InitialSeed reports all 64 bits.
func (g *Generator) ManualSeed(seed uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seedLocked(seed)
}

// InitialSeed returns the seed g was last seeded with, like
// torch.Generator.initial_seed.
func (g *Generator) InitialSeed() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seed
}

// seedLocked is init_genrand(seed & 0xffffffff); g.mu must be held (or g not
// yet shared).
func (g *Generator) seedLocked(seed uint64) {
	g.seed = seed
	g.mt[0] = uint32(seed)
	for i := 1; i < mtN; i++ {
		g.mt[i] = 1812433253*(g.mt[i-1]^(g.mt[i-1]>>30)) + uint32(i)
	}
	g.left, g.next = 1, 0
	g.normal, g.hasNormal = 0, false
}

// twist regenerates the mt19937 state words.
func (g *Generator) twist() {
	mix := func(u, v uint32) uint32 {
		y := (u&mtUpper | v&mtLower) >> 1
		if v&1 != 0 {
			y ^= mtMatrixA
		}
		return y
	}
	for i := 0; i < mtN; i++ {
		g.mt[i] = g.mt[(i+mtM)%mtN] ^ mix(g.mt[i], g.mt[(i+1)%mtN])
	}
	g.left, g.next = mtN, 0
}

// next32 is one mt19937 draw; g.mu must be held.
func (g *Generator) next32() uint32 {
	g.left--
	if g.left == 0 {
		g.twist()
	}
	y := g.mt[g.next]
	g.next++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// next64 is (first draw << 32) | second draw; g.mu must be held.
func (g *Generator) next64() uint64 {
	hi := g.next32()
	return uint64(hi)<<32 | uint64(g.next32())
}

// random32 returns one mt19937 draw (torch's CPUGeneratorImpl::random).
func (g *Generator) random32() uint32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.next32()
}

// random64 returns (first draw << 32) | second draw (CPUGeneratorImpl::random64).
func (g *Generator) random64() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.next64()
}

// uniform32 is torch's uniform_real_distribution<float>(0, 1) sample; g.mu
// must be held, as for uniform64 and normal64.
func (g *Generator) uniform32() float32 {
	return float32(g.next32()&(1<<24-1)) * 0x1p-24
}

// uniform64 is torch's uniform_real_distribution<double>(0, 1) sample.
func (g *Generator) uniform64() float64 {
	return float64(g.next64()&(1<<53-1)) * 0x1p-53
}

// normal64 is torch's normal_distribution<double>(mean, std) sample: a
// Box-Muller pair whose second value is cached for the next call.
func (g *Generator) normal64(mean, std float64) float64 {
	if g.hasNormal {
		g.hasNormal = false
		return math.FMA(g.normal, std, mean)
	}
	u1 := g.uniform64()
	u2 := g.uniform64()
	r := math.Sqrt(-2 * math.Log(1-u2))
	s, c := math.Sincos(2 * math.Pi * u1)
	g.normal, g.hasNormal = r*s, true
	return math.FMA(r*c, std, mean)
}

// fillUniformFloat32 fills dst like torch.rand / Tensor.uniform_(from, to) on a
// float32 tensor: from and to are rounded to float32 and each value is
// fma(u, to-from, from) in float32.
func (g *Generator) fillUniformFloat32(dst []float32, from, to float64) {
	lo, hi := float32(from), float32(to)
	span := hi - lo
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range dst {
		dst[i] = fma32(g.uniform32(), span, lo)
	}
}

// fillUniformFloat64 fills dst like torch.rand / Tensor.uniform_(from, to) on a
// float64 tensor (53 random bits per value).
func (g *Generator) fillUniformFloat64(dst []float64, from, to float64) {
	span := to - from
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range dst {
		dst[i] = math.FMA(g.uniform64(), span, from)
	}
}

// fillNormalFloat32 fills the contiguous dst like torch.randn /
// Tensor.normal_(mean, std) on a float32 tensor. With 16 or more values it
// reproduces torch's AVX2 kernel (normal_fill_AVX2) bit for bit; with fewer it
// draws double samples, as torch does (torch also uses that path for
// non-contiguous tensors, which this method does not model).
func (g *Generator) fillNormalFloat32(dst []float32, mean, std float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(dst)
	if n < 16 {
		for i := range dst {
			dst[i] = float32(g.normal64(mean, std))
		}
		return
	}
	m, s := float32(mean), float32(std)
	for i := range dst {
		dst[i] = g.uniform32()
	}
	for i := 0; i+16 <= n; i += 16 {
		normal16Float32(dst[i:i+16], m, s)
	}
	if n%16 != 0 {
		// Like torch, redraw the last 16 values and transform them again.
		tail := dst[n-16:]
		for i := range tail {
			tail[i] = g.uniform32()
		}
		normal16Float32(tail, m, s)
	}
}

// fillNormalFloat64 fills the contiguous dst like torch.randn /
// Tensor.normal_(mean, std) on a float64 tensor (torch's normal_fill for 16 or
// more values, per-value double samples below that).
func (g *Generator) fillNormalFloat64(dst []float64, mean, std float64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := len(dst)
	if n < 16 {
		for i := range dst {
			dst[i] = g.normal64(mean, std)
		}
		return
	}
	for i := range dst {
		dst[i] = g.uniform64()
	}
	for i := 0; i+16 <= n; i += 16 {
		normal16Float64(dst[i:i+16], mean, std)
	}
	if n%16 != 0 {
		tail := dst[n-16:]
		for i := range tail {
			tail[i] = g.uniform64()
		}
		normal16Float64(tail, mean, std)
	}
}

// normal16Float64 is torch's normal_fill_16 for double: Box-Muller on the
// pairs (d[j], d[j+8]).
func normal16Float64(d []float64, mean, std float64) {
	for j := 0; j < 8; j++ {
		radius := math.Sqrt(-2 * math.Log(1-d[j]))
		s, c := math.Sincos(2 * math.Pi * d[j+8])
		d[j] = math.FMA(float64(radius*c), std, mean)
		d[j+8] = math.FMA(float64(radius*s), std, mean)
	}
}

// fillRandInt fills dst like torch.randint(low, high) on an int64 tensor:
// low + draw % (high-low), with a 64-bit draw when the range is at least 2^32.
// It requires low < high.
func (g *Generator) fillRandInt(dst []int64, low, high int64) {
	span := uint64(high) - uint64(low)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range dst {
		var v uint64
		if span >= 1<<32 {
			v = g.next64()
		} else {
			v = uint64(g.next32())
		}
		dst[i] = int64(v%span + uint64(low))
	}
}

// randPerm returns torch.randperm(n) (int64): the identity shuffled by
// swapping r[i] with r[i + random32() % (n-i)] for i = 0..n-2.
func (g *Generator) randPerm(n int) []int64 {
	r := make([]int64, n)
	for i := range r {
		r[i] = int64(i)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := 0; i < n-1; i++ {
		z := i + int(uint64(g.next32())%uint64(n-i))
		r[i], r[z] = r[z], r[i]
	}
	return r
}

// The state snapshot uses the byte layout of torch 1.13's CPU get_state()
// (CPUGeneratorImplState, little endian), so states can be exchanged with torch.
const (
	stateSize       = 5056
	stateOffMT      = 24   // uint64 per mt19937 word
	stateOffNormalY = 5024 // cached double normal
	stateOffValid   = 5040 // int32: cached double normal present
	stateOffFloat   = 5048 // cached float normal (unused on CPU) and its flag
)

// State returns a snapshot of g's state, like torch.Generator.get_state(). The
// bytes follow torch 1.13's CPU layout; SetState restores them exactly.
func (g *Generator) State() []byte {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := make([]byte, stateSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], g.seed)
	le.PutUint32(b[8:], uint32(g.left))
	le.PutUint32(b[12:], 1) // seeded
	le.PutUint64(b[16:], uint64(g.next))
	for i, w := range g.mt {
		le.PutUint64(b[stateOffMT+8*i:], uint64(w))
	}
	if g.hasNormal {
		le.PutUint64(b[stateOffNormalY:], math.Float64bits(g.normal))
		le.PutUint32(b[stateOffValid:], 1)
	}
	return b
}

// SetState restores a snapshot made by State (or by torch 1.13's CPU
// get_state). It returns an error, leaving g unchanged, if state has the wrong
// length or does not describe a reachable mt19937 state.
func (g *Generator) SetState(state []byte) error {
	if len(state) != stateSize {
		return errors.New("tensorlib: generator state must be 5056 bytes")
	}
	le := binary.LittleEndian
	var n Generator
	n.seed = le.Uint64(state[0:])
	left, seeded, next := int32(le.Uint32(state[8:])), le.Uint32(state[12:]), le.Uint64(state[16:])
	// Fresh seeding gives left=1, next=0; after that every draw keeps left+next=625.
	if seeded != 1 || left < 1 || left > mtN || !(left == 1 && next == 0 || uint64(left)+next == mtN+1) {
		return errors.New("tensorlib: invalid mt19937 position in generator state")
	}
	n.left, n.next = int(left), int(next)
	var nonzero uint32
	for i := range n.mt {
		w := le.Uint64(state[stateOffMT+8*i:])
		if w>>32 != 0 {
			return errors.New("tensorlib: invalid mt19937 word in generator state")
		}
		n.mt[i] = uint32(w)
		nonzero |= n.mt[i]
	}
	if nonzero == 0 {
		return errors.New("tensorlib: all-zero mt19937 state")
	}
	switch le.Uint32(state[stateOffValid:]) {
	case 0:
	case 1:
		n.normal, n.hasNormal = math.Float64frombits(le.Uint64(state[stateOffNormalY:])), true
	default:
		return errors.New("tensorlib: invalid cached-normal flag in generator state")
	}
	if state[stateOffFloat+4] != 0 {
		return errors.New("tensorlib: cached float normal in generator state is not supported")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seed, g.mt, g.left, g.next = n.seed, n.mt, n.left, n.next
	g.normal, g.hasNormal = n.normal, n.hasNormal
	return nil
}

var defaultGenerator = NewGenerator(defaultSeed)

// DefaultGenerator returns the global generator used when none is given. It
// starts seeded with 67280421310721 (torch.Generator()'s default seed; torch
// itself seeds its global generator nondeterministically).
func DefaultGenerator() *Generator { return defaultGenerator }

// ManualSeed seeds the default generator, like torch.manual_seed.
func ManualSeed(seed uint64) { defaultGenerator.ManualSeed(seed) }

// fma32 returns a*b+c rounded once to float32, like the vfmadd*ps
// instructions in torch's kernels. a*b is exact in float64, so rounding a*b+c
// to float64 and then to float32 is right unless the float64 sum is exactly
// halfway between two float32 values or below the float32 normal range;
// fma32Slow handles those rare cases.
func fma32(a, b, c float32) float32 {
	s := float64(a)*float64(b) + float64(c)
	if bits := math.Float64bits(s); bits<<35 != 1<<63 && bits<<1 >= (1023-126)<<53 {
		return float32(s)
	}
	return fma32Slow(a, b, c)
}

// fma32Slow is fma32 by rounding to odd: an inexact float64 sum with an even
// last bit is nudged toward the exact value, so the conversion to float32
// cannot suffer from double rounding.
func fma32Slow(a, b, c float32) float32 {
	p := float64(a) * float64(b)
	s := p + float64(c)
	t := s - p
	e := (p - (s - t)) + (float64(c) - t) // s+e == p+c exactly
	bits := math.Float64bits(s)
	if e != 0 && bits&1 == 0 {
		if (e > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
	}
	return float32(math.Float64frombits(bits))
}

// Constants of avx_mathfun.h (Cephes logf and sincosf) as the float32 values
// compiled into torch.
const (
	twoPi32   = float32(0x1.921fb6p+02) // float(2*pi)
	sqrtHalf  = float32(0x1.6a09e6p-01)
	minNormal = float32(0x1p-126)
	logP0     = float32(0x1.204376p-04)
	logP1     = float32(-0x1.d7a370p-04)
	logP2     = float32(0x1.de4a34p-04)
	logP3     = float32(-0x1.fcba9ep-04)
	logP4     = float32(0x1.23d37ep-03)
	logP5     = float32(-0x1.555ca0p-03)
	logP6     = float32(0x1.999d58p-03)
	logP7     = float32(-0x1.fffff8p-03)
	logP8     = float32(0x1.555554p-02)
	logQ1     = float32(-0x1.bd0106p-13)
	logQ2     = float32(0x1.630000p-01)
	fourOnPi  = float32(0x1.45f306p+00)
	negDP1    = float32(-0x1.920000p-01)
	negDP2    = float32(-0x1.fb4000p-13)
	negDP3    = float32(-0x1.4442d2p-25)
	cosP0     = float32(0x1.99eb9cp-16)
	cosP1     = float32(-0x1.6c0c34p-10)
	cosP2     = float32(0x1.55554ap-05)
	sinP0     = float32(-0x1.9943f2p-13)
	sinP1     = float32(0x1.11073cp-07)
	sinP2     = float32(-0x1.555546p-03)
)

// normal16Float32 is torch's normal_fill_16_AVX2: Box-Muller on the pairs
// (d[j], d[j+8]) with avx_mathfun's log and sincos, then fma(n, std, mean).
// Every operation rounds, or fuses into an FMA, exactly as GCC compiled the
// AVX2 kernel (read from the disassembly of Debian's libtorch_cpu.so 1.13.1).
func normal16Float32(d []float32, mean, std float32) {
	for j := 0; j < 8; j++ {
		radius := float32(math.Sqrt(float64(float32(logAVX(1-d[j]) * -2))))
		s, c := sincosAVX(float32(twoPi32 * d[j+8]))
		d[j] = fma32(float32(radius*c), std, mean)
		d[j+8] = fma32(float32(radius*s), std, mean)
	}
}

// logAVX is one lane of avx_mathfun's log256_ps as compiled into torch.
func logAVX(x float32) float32 {
	if x <= 0 {
		return float32(math.NaN())
	}
	x = max(x, minNormal)
	bits := math.Float32bits(x)
	e := float32(int32(bits>>23)-127) + 1
	x = math.Float32frombits(bits&^0x7f800000 | 0x3f000000) // mantissa in [0.5, 1)
	var tmp float32
	if x < sqrtHalf {
		tmp = x
		e--
	}
	x = (x - 1) + tmp
	z := float32(x * x)
	y := fma32(logP0, x, logP1)
	for _, p := range [...]float32{logP2, logP3, logP4, logP5, logP6, logP7, logP8} {
		y = fma32(y, x, p)
	}
	y = float32(y * x)
	y = fma32(y, z, float32(e*logQ1))
	y = fma32(-z, 0.5, y)
	return fma32(e, logQ2, x+y)
}

// sincosAVX is one lane of avx_mathfun's sincos256_ps as compiled into torch.
func sincosAVX(x float32) (sin, cos float32) {
	signSin := math.Float32bits(x) & 0x80000000
	x = float32(math.Abs(float64(x)))
	j := (int32(float32(x*fourOnPi)) + 1) &^ 1
	y := float32(j)
	signSin ^= uint32(j&4) << 29
	signCos := uint32(^(j-2)&4) << 29
	useSinPoly := j&2 == 0
	x = fma32(y, negDP1, x)
	x = fma32(y, negDP2, x)
	x = fma32(y, negDP3, x)
	z := float32(x * x)

	yc := fma32(cosP0, z, cosP1) // cos polynomial on [0, pi/4]
	yc = fma32(yc, z, cosP2)
	yc = float32(yc * z)
	yc = fma32(yc, z, -float32(z*0.5))
	yc = yc + 1

	ys := fma32(sinP0, z, sinP1) // sin polynomial on [0, pi/4]
	ys = fma32(ys, z, sinP2)
	ys = float32(ys * z)
	ys = fma32(ys, x, x)

	// Select the polynomials with the same masked adds as the AVX code.
	var sin2, sin1 float32
	if useSinPoly {
		sin2 = ys
	} else {
		sin1 = yc
	}
	sin = sin1 + sin2
	cos = (ys - sin2) + (yc - sin1)
	return math.Float32frombits(math.Float32bits(sin) ^ signSin),
		math.Float32frombits(math.Float32bits(cos) ^ signCos)
}
