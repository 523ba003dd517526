package tensorlib

import (
	"math/bits"
	"runtime"
	"sync"
	"unsafe"
)

// Recycled storage for large float tensors.
//
// A fresh Go allocation of many megabytes costs more than the kernel that
// fills it: the runtime zeroes it, and memory the scavenger has returned
// to the OS is faulted in again page by page (a 16M-element Add spends
// more time there than adding). Go has no destructors, and a tensor's
// storage has no owner who knows when it dies (views share it, backward
// closures keep tensors alive, kernels hold slices of it beyond the last
// use of the tensor), so freeing at the end of an op or reference counting
// would not be safe.
//
// What is safe is letting the garbage collector decide: every buffer of at
// least poolMinBytes handed out here carries a finalizer on its first
// element, and Go runs a finalizer only once nothing at all refers to the
// object (no tensor, view or slice of it anywhere). The finalizer puts the
// buffer on a free list for its size class instead of letting it be freed,
// and the next tensor of that class reuses it: without zeroing when the
// kernel writes every element, without page faults either way.
//
// Smaller buffers are not recycled: Go's allocator reuses recently freed
// memory while it is still in cache, where a recycled buffer comes back
// only after a collection, cold. Measured on the MLP benchmark of
// tools/bench (200 Adam steps; its float32 temporaries are 0.8 MB, its
// float64 ones 1.6 MB): recycling from 1 MiB up runs 68 collections
// instead of 1238 (GC from about 5% of its CPU time to 0.2%) and is about
// 15% faster than no recycling; from 512 KiB up it is 20% slower than from
// 1 MiB (a first design, with sync.Pool from 32 KiB up, was 1.5-3× slower).
//
// Buffers come back only at collections, which Go paces by the growth of
// the heap, not by the free lists running dry: between two, a loop over
// huge tensors would take the recycled buffers, then fault in fresh ones
// (a 64 MiB buffer costs some 25 ms of page faults, three times the add
// that fills it). So when the free list of a class of at least
// collectMinBytes is empty, allocFloats first runs a collection (fewer and
// fewer while they give nothing back). From 2 MiB up, rather than 16 MiB
// (measured at one thread on tools/bench's workloads): the CNN step takes
// 2.7 ms instead of 5.2, LayerNorm forward and backward 1.8 instead of
// 2.5, BatchNorm 1.2 instead of 1.7-2.1; the walkthrough, the MLP and a
// 16M-element add and exp are unchanged within the noise.
//
// Each free list holds at most poolMaxBytes, and buffers that stayed unused
// through a whole collection cycle are given back to the garbage collector.

const (
	// poolMinBytes is the smallest buffer recycled.
	poolMinBytes = 1 << 20
	// poolSteps size classes per power of two (at most 1/8 of a buffer
	// is unused).
	poolSteps  = 8
	poolMaxLog = 48
	// poolMaxBytes bounds the memory each free list holds.
	poolMaxBytes = 512 << 20
)

// bufPool is the free list of one element type, by size class.
type bufPool struct {
	mu      sync.Mutex
	classes [poolMaxLog * poolSteps][]unsafe.Pointer // oldest first
	low     [poolMaxLog * poolSteps]int              // the fewest held since the last decay
	bytes   int                                      // held in all classes
}

var (
	pool32 bufPool
	pool64 bufPool
)

func poolOf[T float]() *bufPool {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return &pool32
	}
	return &pool64
}

// poolClass returns the size class of n > 0 elements and its capacity.
func poolClass(n int) (class, capacity int) {
	e := bits.Len(uint(n - 1)) // 2^(e-1) < n <= 2^e
	step := 1 << max(0, e-3)
	k := (n + step - 1) / step // in (4, 8] for e >= 3
	return e*poolSteps + k - 1, k * step
}

// get takes a buffer of the class (size bytes) off the list, nil if none.
func (p *bufPool) get(class, size int) unsafe.Pointer {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.classes[class]
	if len(l) == 0 {
		return nil
	}
	ptr := l[len(l)-1]
	l[len(l)-1] = nil
	p.classes[class] = l[:len(l)-1]
	p.bytes -= size
	p.low[class] = min(p.low[class], len(l)-1)
	return ptr
}

// put adds a buffer of the class (size bytes) to the list, unless the list
// is full (the buffer is then left to the garbage collector).
func (p *bufPool) put(class, size int, ptr unsafe.Pointer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bytes+size > poolMaxBytes {
		return
	}
	p.bytes += size
	p.classes[class] = append(p.classes[class], ptr)
}

// decay drops, in each class, the buffers that stayed unused since the
// last decay (the oldest ones, as many as the class's low-water mark).
func (p *bufPool) decay() {
	p.mu.Lock()
	defer p.mu.Unlock()
	four := p == &pool32
	for c, l := range p.classes {
		if k := p.low[c]; k > 0 {
			p.bytes -= k * poolClassBytes(c, four)
			p.classes[c] = append(l[:0:0], l[k:]...)
		}
		p.low[c] = len(p.classes[c])
	}
}

// poolClassBytes is the size in bytes of a buffer of class c.
func poolClassBytes(c int, four bool) int {
	e, k := c/poolSteps, c%poolSteps+1
	size := k << max(0, e-3)
	if four {
		return 4 * size
	}
	return 8 * size
}

// poolSentinel is collected at every garbage collection; its finalizer
// decays the free lists and arms a new one.
type poolSentinel struct{ _ [32]byte }

func armPoolDecay() {
	runtime.SetFinalizer(new(poolSentinel), func(*poolSentinel) {
		pool32.decay()
		pool64.decay()
		armPoolDecay()
	})
}

func init() { armPoolDecay() }

// allocFloats returns a slice of n elements for a tensor's storage: from
// make below poolMinBytes, otherwise a recycled or new buffer of n's size
// class, zeroed when zero is set.
func allocFloats[T float](n int, zero bool) []T {
	buf, zeroed := allocFloatsReport[T](n)
	if zero && !zeroed {
		clear(buf)
	}
	return buf
}

// allocFloatsReport is allocFloats without zeroing, reporting whether the
// buffer holds zeros anyway (a new one from make does): a kernel that
// needs zeros can then clear each block just before it uses it, while it
// is in cache, and skip clearing memory the runtime already cleared.
func allocFloatsReport[T float](n int) (buf []T, zeroed bool) {
	var z T
	size := int(unsafe.Sizeof(z))
	if n*size < poolMinBytes || uint64(n) > 1<<(poolMaxLog-1) {
		return make([]T, n), true
	}
	class, capacity := poolClass(n)
	p := poolOf[T]()
	ptr := p.get(class, capacity*size)
	if ptr == nil && capacity*size >= collectMinBytes {
		ptr = collectFor(p, class, capacity*size)
	}
	if ptr != nil {
		buf = unsafe.Slice((*T)(ptr), capacity)[:n]
	} else {
		buf, zeroed = make([]T, capacity)[:n], true
	}
	runtime.SetFinalizer(&buf[0], func(ptr *T) { p.put(class, capacity*size, unsafe.Pointer(ptr)) })
	return buf, zeroed
}

// newTensorUninit allocates a contiguous tensor whose elements the caller
// writes, all of them, before anyone reads them (float dtypes may come
// unzeroed from the free lists; others are zeroed).
func newTensorUninit(dtype DType, shape []int) *Tensor {
	switch dtype {
	case Float32:
		checkAlloc(dtype, shape)
		return fromData(dtype, allocFloats[float32](numelOf(shape), false), shape)
	case Float64:
		checkAlloc(dtype, shape)
		return fromData(dtype, allocFloats[float64](numelOf(shape), false), shape)
	}
	return newTensor(dtype, shape)
}

// makeUninit returns n elements of type D that the caller overwrites
// entirely: recycled buffers for large floats, make otherwise.
func makeUninit[D number](n int) []D {
	switch any(D(0)).(type) {
	case float32:
		return any(allocFloats[float32](n, false)).([]D)
	case float64:
		return any(allocFloats[float64](n, false)).([]D)
	}
	return make([]D, n)
}

// collectMinBytes is the buffer size from which an empty free list makes
// allocFloats run a collection first: a fresh buffer of that size costs
// more in zeroing and page faults (about 1 ms for 4 MiB, tens of
// milliseconds for 64 MiB) than a collection of a tensor program's heap,
// whose tensor data the collector does not scan, and the buffer probably
// died since the last one (a training loop allocates the same tensors
// every step).
const collectMinBytes = 2 << 20

// collectState rate-limits the collections: after one that gave no buffer
// back (the program is growing, not recycling), the next skip allocations
// that find their free list empty do not collect; skip doubles with each
// such collection in a row, up to 64.
var collectState struct {
	sync.Mutex
	skip, failed int
}

// collectFor runs a collection, lets the finalizers run, and takes a
// buffer of the class off the free list, nil if none came back.
func collectFor(p *bufPool, class, size int) unsafe.Pointer {
	collectState.Lock()
	if collectState.skip > 0 {
		collectState.skip--
		collectState.Unlock()
		return nil
	}
	collectState.Unlock()
	runtime.GC()
	for i := 0; i < 50; i++ {
		if ptr := p.get(class, size); ptr != nil {
			collectState.Lock()
			collectState.failed = 0
			collectState.Unlock()
			return ptr
		}
		runtime.Gosched()
	}
	collectState.Lock()
	collectState.skip = 1 << min(collectState.failed, 6)
	collectState.failed++
	collectState.Unlock()
	return nil
}
