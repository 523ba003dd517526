package data

import (
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sync"

	tl "github.com/gotensor/gt/tensorlib"
)

// LoaderOptions are a DataLoader's optional settings; the zero value is
// torch.utils.data.DataLoader's default (no shuffling, keep the last partial
// batch, load in the calling goroutine, default collation).
type LoaderOptions struct {
	// Shuffle draws a new random order every epoch (RandomSampler).
	Shuffle bool
	// DropLast drops the last batch when it is smaller than the batch size.
	DropLast bool
	// Generator is the random number generator of the loader
	// (DataLoader(generator=g)); nil means the default generator. With a seed
	// s, tl.NewGenerator(s) reproduces torch.Generator().manual_seed(s).
	Generator *tl.Generator
	// NumWorkers is the number of goroutines fetching batches ahead of the
	// consumer; 0 fetches each batch in Next. Batches come out in order
	// either way.
	NumWorkers int
	// PrefetchFactor is the number of batches each worker may fetch ahead
	// (torch's prefetch_factor); 0 means 2. At most NumWorkers·PrefetchFactor
	// batches are in flight or waiting.
	PrefetchFactor int
	// Collate merges samples into a batch; nil means DefaultCollate, or the
	// dataset's GetBatch when it is a BatchGetter.
	Collate CollateFunc
}

// DataLoader iterates over a dataset in batches, optionally shuffled and
// prefetched by worker goroutines (torch.utils.data.DataLoader). It may be
// iterated any number of times (once per epoch); each Iter is independent.
type DataLoader struct {
	dataset   Dataset
	batchSize int
	opts      LoaderOptions
}

// NewDataLoader returns a loader of ds in batches of batchSize. It panics
// with a *tl.Error if batchSize or an option is out of range.
func NewDataLoader(ds Dataset, batchSize int, opts ...LoaderOptions) *DataLoader {
	var o LoaderOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if batchSize <= 0 {
		panic(&tl.Error{Op: "DataLoader", Msg: fmt.Sprintf("batch_size should be a positive integer value, but got batch_size=%d", batchSize)})
	}
	if o.NumWorkers < 0 {
		panic(&tl.Error{Op: "DataLoader", Msg: fmt.Sprintf("num_workers option should be non-negative, got %d", o.NumWorkers)})
	}
	if o.PrefetchFactor < 0 {
		panic(&tl.Error{Op: "DataLoader", Msg: fmt.Sprintf("prefetch_factor option should be non-negative, got %d", o.PrefetchFactor)})
	}
	if o.PrefetchFactor == 0 {
		o.PrefetchFactor = 2
	}
	return &DataLoader{dataset: ds, batchSize: batchSize, opts: o}
}

// Dataset returns the dataset being loaded.
func (l *DataLoader) Dataset() Dataset { return l.dataset }

// BatchSize returns the number of samples per batch.
func (l *DataLoader) BatchSize() int { return l.batchSize }

// Len returns the number of batches in an epoch (len(loader)).
func (l *DataLoader) Len() int {
	n := l.dataset.Len()
	if l.opts.DropLast {
		return n / l.batchSize
	}
	return (n + l.batchSize - 1) / l.batchSize
}

// Iter starts an epoch. Like torch's iter(loader), it first draws a 64-bit
// base seed from the loader's generator (so the random stream advances as
// PyTorch's does); a shuffling loader then draws the epoch's permutation,
// either at the first Next (no workers) or now (with workers, which start
// fetching at once), again as torch does. When an epoch with an explicit
// generator runs to its end, the final Next draws the extra permutation
// torch's exhausted RandomSampler draws, so epoch after epoch the orders and
// the generator's state stay PyTorch's.
//
// Use it as
//
//	it := loader.Iter()
//	for it.Next() {
//		batch := it.Batch()
//		…
//	}
//	if err := it.Err(); err != nil { … }
//
// Stopping early? Call Close to release the workers (an abandoned iterator
// is also closed once garbage collected).
func (l *DataLoader) Iter() *Iterator {
	s := &iterState{l: l, done: make(chan struct{})}
	g := l.opts.Generator
	if g == nil {
		g = tl.DefaultGenerator()
	}
	seedFrom(g) // torch's base seed (for worker seeding): drawn for its effect on the stream
	it := &Iterator{s: s}
	if l.opts.NumWorkers > 0 {
		s.start()
	}
	runtime.AddCleanup(it, func(s *iterState) { s.close() }, s)
	return it
}

// order returns the sample indices of an epoch: 0..n-1, or a permutation as
// RandomSampler draws it.
func (l *DataLoader) order(n int) []int {
	idx := make([]int, n)
	if !l.opts.Shuffle || n == 0 {
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	g := l.opts.Generator
	if g == nil {
		// RandomSampler without a generator seeds a fresh one from the default.
		g = tl.NewGenerator(seedFrom(tl.DefaultGenerator()))
	}
	for i, v := range g.RandPerm(n).Int64s() {
		idx[i] = int(v)
	}
	return idx
}

// seedFrom is int(torch.empty((), dtype=torch.int64).random_(generator=g)):
// a 64-bit draw (two mt19937 words) reduced modulo 2^63.
func seedFrom(g *tl.Generator) uint64 {
	v := g.RandInt(math.MinInt64, 0).Int64s()[0] // draw%2^63 - 2^63
	return uint64(v) + 1<<63
}

// finishEpoch draws what torch's RandomSampler draws when it is exhausted:
// its generator function ends with randperm(n)[:num_samples % n], an extra
// permutation that only matters (and is only drawn here) for an explicit
// generator.
func (l *DataLoader) finishEpoch() {
	if n := l.dataset.Len(); l.opts.Shuffle && l.opts.Generator != nil && n > 0 {
		l.opts.Generator.RandPerm(n)
	}
}

// batches cuts an epoch's order into batches.
func (l *DataLoader) batches() [][]int {
	order := l.order(l.dataset.Len())
	var out [][]int
	for start := 0; start < len(order); start += l.batchSize {
		end := start + l.batchSize
		if end > len(order) {
			if l.opts.DropLast {
				break
			}
			end = len(order)
		}
		out = append(out, order[start:end:end])
	}
	return out
}

// LoaderError is the error an Iterator returns when fetching or collating a
// batch panicked (in a worker goroutine or in Next).
type LoaderError struct {
	Batch int    // the batch's position in the epoch
	Index int    // the dataset index being fetched, or -1 (collation, batch fetch)
	Value any    // the panic value
	Stack []byte // the stack of the goroutine that panicked
}

// Error describes the failing batch and the panic value.
func (e *LoaderError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("data: DataLoader: batch %d, sample %d: %v", e.Batch, e.Index, e.Value)
	}
	return fmt.Sprintf("data: DataLoader: batch %d: %v", e.Batch, e.Value)
}

// Unwrap returns the panic value when it is an error (for errors.Is/As,
// e.g. a *tl.Error or tl.ErrInterrupted).
func (e *LoaderError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// result is one fetched batch.
type result struct {
	batch []*tl.Tensor
	err   error
}

// iterState is what an Iterator's goroutines share; it does not point back
// to the Iterator so an abandoned Iterator can be collected and cleaned up.
type iterState struct {
	l         *DataLoader
	started   bool
	batches   [][]int
	done      chan struct{}
	closeOnce sync.Once
	// worker pipeline
	slots []chan result // ring of NumWorkers·PrefetchFactor result slots
	sem   chan struct{} // one token per batch in flight or waiting
}

// start draws the epoch's order and, with workers, starts them.
func (s *iterState) start() {
	s.started = true
	s.batches = s.l.batches()
	w := s.l.opts.NumWorkers
	if w == 0 || len(s.batches) == 0 {
		return
	}
	capacity := w * s.l.opts.PrefetchFactor
	s.slots = make([]chan result, capacity)
	for i := range s.slots {
		s.slots[i] = make(chan result, 1)
	}
	s.sem = make(chan struct{}, capacity)
	jobs := make(chan int)
	go func() { // dispatcher: batch k goes out only once k-capacity is consumed
		defer close(jobs)
		for k := range s.batches {
			select {
			case s.sem <- struct{}{}:
			case <-s.done:
				return
			}
			select {
			case jobs <- k:
			case <-s.done:
				return
			}
		}
	}()
	for i := 0; i < w; i++ {
		go func() {
			for k := range jobs {
				r := s.fetch(k)
				select {
				case s.slots[k%capacity] <- r:
				case <-s.done:
					return
				}
			}
		}()
	}
}

// fetch loads and collates batch k, turning a panic into a *LoaderError.
func (s *iterState) fetch(k int) (r result) {
	idx := s.batches[k]
	cur := -1
	defer func() {
		if p := recover(); p != nil {
			r = result{err: &LoaderError{Batch: k, Index: cur, Value: p, Stack: debug.Stack()}}
		}
	}()
	if s.l.opts.Collate == nil {
		if _, ok := s.l.dataset.(BatchGetter); ok {
			return result{batch: getBatch(s.l.dataset, idx)}
		}
	}
	samples := make([][]*tl.Tensor, len(idx))
	for j, i := range idx {
		cur = i
		samples[j] = s.l.dataset.Get(i)
	}
	cur = -1
	collate := s.l.opts.Collate
	if collate == nil {
		collate = DefaultCollate
	}
	return result{batch: collate(samples)}
}

func (s *iterState) close() { s.closeOnce.Do(func() { close(s.done) }) }

// Iterator walks one epoch of a DataLoader; see DataLoader.Iter.
type Iterator struct {
	s       *iterState
	pos     int // batches consumed
	batch   []*tl.Tensor
	indices []int
	err     error
	closed  bool
}

// Next advances to the next batch and reports whether there is one. It
// returns false at the end of the epoch, after an error (see Err) or after
// Close.
func (it *Iterator) Next() bool {
	it.batch, it.indices = nil, nil
	if it.closed || it.err != nil {
		return false
	}
	s := it.s
	if !s.started {
		s.start()
	}
	if it.pos >= len(s.batches) {
		s.l.finishEpoch()
		it.Close()
		return false
	}
	k := it.pos
	var r result
	if s.slots == nil {
		r = s.fetch(k)
	} else {
		r = <-s.slots[k%len(s.slots)]
		<-s.sem
	}
	it.pos++
	if r.err != nil {
		it.err = r.err
		it.Close()
		return false
	}
	it.batch, it.indices = r.batch, s.batches[k]
	return true
}

// Batch returns the current batch: one tensor per sample field, stacked
// along a new first dimension.
func (it *Iterator) Batch() []*tl.Tensor { return it.batch }

// Indices returns the dataset indices of the current batch's samples.
func (it *Iterator) Indices() []int { return append([]int{}, it.indices...) }

// Err returns the error that stopped the iteration, or nil.
func (it *Iterator) Err() error { return it.err }

// Close stops the iteration and releases the workers. Workers busy in a
// Dataset.Get finish that call first. Close is idempotent.
func (it *Iterator) Close() {
	it.closed = true
	it.s.close()
}
