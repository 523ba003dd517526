package tensorlib

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parallelFor calls fn over [0, n) in chunks of chunk elements (the last
// one shorter). Below minParallel elements, or with GOMAXPROCS = 1, the
// caller runs them all; otherwise the GEMM helpers (gemm.go), which stay
// awake for a while after each product or loop, claim chunks alongside
// the caller. Every chunk starts with checkInterrupt, and a panic in any
// chunk (an interrupt) stops the others from starting new chunks and is
// re-raised in the caller.
func parallelFor(n, minParallel, chunk int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), ceilDiv(n, chunk))
	if n < minParallel || workers <= 1 {
		for lo := 0; lo < n; lo += chunk {
			checkInterrupt()
			fn(lo, min(lo+chunk, n))
		}
		return
	}
	j := &parJob{n: n, chunk: chunk, fn: fn}
	posted := postGEMM(j, workers-1)
	j.participate()
	if posted != nil {
		unpostGEMM(posted)
	}
	for i := 0; j.done.Load() < int64(n); i++ {
		if i < 1<<16 {
			if i&255 == 255 {
				runtime.Gosched()
			}
		} else {
			time.Sleep(10 * time.Microsecond)
		}
	}
	if j.failed.Load() {
		panic(j.panicked)
	}
}

// parJob is one parallelFor loop, shared by its participants.
type parJob struct {
	n, chunk int
	fn       func(lo, hi int)
	next     atomic.Int64 // first position not yet claimed
	done     atomic.Int64 // positions finished (or skipped after a failure)
	failed   atomic.Bool
	mu       sync.Mutex
	panicked any
}

// participate claims and runs chunks until none are left.
func (j *parJob) participate() {
	for {
		lo := int(j.next.Add(int64(j.chunk))) - j.chunk
		if lo >= j.n {
			return
		}
		hi := min(lo+j.chunk, j.n)
		j.run(lo, hi)
		j.done.Add(int64(hi - lo))
	}
}

// run runs one chunk, recording a panic as the loop's failure.
func (j *parJob) run(lo, hi int) {
	defer func() {
		if r := recover(); r != nil {
			j.mu.Lock()
			if !j.failed.Load() {
				j.panicked = r
				j.failed.Store(true)
			}
			j.mu.Unlock()
		}
	}()
	if j.failed.Load() {
		return
	}
	checkInterrupt()
	j.fn(lo, hi)
}
