package data

import (
	"errors"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tl "github.com/gotensor/gt/tensorlib"
)

// collect runs one epoch and returns the batches' field-0 values.
func collect(t *testing.T, l *DataLoader) ([][]int64, error) {
	t.Helper()
	var out [][]int64
	it := l.Iter()
	for it.Next() {
		out = append(out, it.Batch()[0].Int64s())
	}
	return out, it.Err()
}

func TestTensorDataset(t *testing.T) {
	x := tl.Arange(12).Reshape(4, 3)
	y := tl.FromInt64s([]int64{7, 8, 9, 10})
	ds := NewTensorDataset(x, y)
	if ds.Len() != 4 {
		t.Fatalf("Len %d", ds.Len())
	}
	s := ds.Get(2)
	if got := s[0].Float32s(); !reflect.DeepEqual(got, []float32{6, 7, 8}) {
		t.Errorf("Get(2)[0] = %v", got)
	}
	if got := s[1].Item(); got != 9 || s[1].Dim() != 0 {
		t.Errorf("Get(2)[1] = %v dim %d", got, s[1].Dim())
	}
	if got := ds.Get(-1)[1].Item(); got != 10 {
		t.Errorf("Get(-1)[1] = %v", got)
	}
	b := ds.GetBatch([]int{3, 0})
	if !reflect.DeepEqual(b[0].Shape(), []int{2, 3}) || !reflect.DeepEqual(b[1].Int64s(), []int64{10, 7}) {
		t.Errorf("GetBatch: %v %v", b[0].Shape(), b[1].Int64s())
	}
	// Collating single samples gives the same as GetBatch.
	c := DefaultCollate([][]*tl.Tensor{ds.Get(3), ds.Get(0)})
	if !reflect.DeepEqual(c[0].Float32s(), b[0].Float32s()) || !reflect.DeepEqual(c[1].Int64s(), b[1].Int64s()) {
		t.Error("DefaultCollate and GetBatch disagree")
	}
	for name, f := range map[string]func(){
		"mismatch":     func() { NewTensorDataset(x, tl.Zeros(3)) },
		"none":         func() { NewTensorDataset() },
		"scalar":       func() { NewTensorDataset(tl.Scalar(1)) },
		"out of range": func() { ds.Get(4) },
	} {
		var te *tl.Error
		if err := tl.Catch(f); !errors.As(err, &te) {
			t.Errorf("%s: want a *tl.Error panic, got %v", name, err)
		}
	}
}

func TestSubsetAndSplit(t *testing.T) {
	ds := NewTensorDataset(tl.Arange(10).To(tl.Int64))
	s := NewSubset(ds, []int{9, 3, 5})
	if s.Len() != 3 || s.Get(1)[0].Item() != 3 || s.Get(-1)[0].Item() != 5 {
		t.Error("Subset.Get")
	}
	if got := s.GetBatch([]int{2, 0})[0].Int64s(); !reflect.DeepEqual(got, []int64{5, 9}) {
		t.Errorf("Subset.GetBatch = %v", got)
	}
	// Subset of a dataset without GetBatch collates.
	f := FuncDataset{N: 4, Fn: func(i int) []*tl.Tensor { return []*tl.Tensor{tl.Full(float64(i), 2)} }}
	if got := NewSubset(f, []int{3, 1}).GetBatch([]int{0, 1})[0].Float32s(); !reflect.DeepEqual(got, []float32{3, 3, 1, 1}) {
		t.Errorf("Subset of FuncDataset GetBatch = %v", got)
	}
	parts := RandomSplitFractions(ds, []float64{0.25, 0.75}, tl.NewGenerator(1))
	if parts[0].Len() != 3 || parts[1].Len() != 7 { // floor(2.5)=2, floor(7.5)=7, remainder to the first
		t.Errorf("fraction lengths %d %d", parts[0].Len(), parts[1].Len())
	}
	seen := map[int]bool{}
	for _, p := range parts {
		for _, i := range p.Indices {
			if seen[i] {
				t.Errorf("index %d in two splits", i)
			}
			seen[i] = true
		}
	}
	if len(seen) != 10 {
		t.Errorf("splits cover %d indices", len(seen))
	}
	for name, f := range map[string]func(){
		"sum":      func() { RandomSplit(ds, []int{3, 3}, nil) },
		"negative": func() { RandomSplit(ds, []int{11, -1}, nil) },
		"fracs":    func() { RandomSplitFractions(ds, []float64{0.5, 0.6}, nil) },
	} {
		if err := tl.Catch(f); err == nil {
			t.Errorf("%s: want a panic", name)
		}
	}
}

func TestDataLoaderBatches(t *testing.T) {
	x := tl.Arange(20).Reshape(10, 2)
	y := tl.Arange(10).To(tl.Int64)
	ds := NewTensorDataset(x, y)
	cases := []struct {
		name     string
		bs       int
		drop     bool
		workers  int
		wantLen  int
		wantLast int
	}{
		{"partial", 4, false, 0, 3, 2},
		{"drop", 4, true, 0, 2, 4},
		{"exact", 5, false, 0, 2, 5},
		{"workers", 3, false, 2, 4, 1},
		{"one worker", 3, true, 1, 3, 3},
		{"bigger than dataset", 20, false, 4, 1, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := NewDataLoader(ds, c.bs, LoaderOptions{DropLast: c.drop, NumWorkers: c.workers})
			if l.Len() != c.wantLen {
				t.Errorf("Len %d, want %d", l.Len(), c.wantLen)
			}
			for epoch := 0; epoch < 2; epoch++ {
				it := l.Iter()
				n, next := 0, int64(0)
				var last []*tl.Tensor
				for it.Next() {
					b := it.Batch()
					if b[0].Size(1) != 2 || b[0].Size(0) != b[1].Size(0) {
						t.Fatalf("batch shapes %v %v", b[0].Shape(), b[1].Shape())
					}
					for _, v := range b[1].Int64s() {
						if v != next {
							t.Fatalf("order: got %d, want %d", v, next)
						}
						next++
					}
					last = b
					n++
				}
				if err := it.Err(); err != nil {
					t.Fatal(err)
				}
				if n != c.wantLen || last[1].Size(0) != c.wantLast {
					t.Errorf("epoch %d: %d batches, last of %d; want %d, %d", epoch, n, last[1].Size(0), c.wantLen, c.wantLast)
				}
				if it.Next() {
					t.Error("Next after the end")
				}
			}
		})
	}
}

func TestDataLoaderCustomCollate(t *testing.T) {
	f := FuncDataset{N: 5, Fn: func(i int) []*tl.Tensor { return []*tl.Tensor{tl.FromInt64s([]int64{int64(i)})} }}
	sum := func(samples [][]*tl.Tensor) []*tl.Tensor {
		s := int64(0)
		for _, x := range samples {
			s += x[0].Int64s()[0]
		}
		return []*tl.Tensor{tl.FromInt64s([]int64{s})}
	}
	got, err := collect(t, NewDataLoader(f, 2, LoaderOptions{Collate: sum, NumWorkers: 2}))
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]int64{{1}, {5}, {4}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestDataLoaderWorkerOrder uses a dataset whose samples take random times
// so workers finish out of order; batches must still come out in order.
func TestDataLoaderWorkerOrder(t *testing.T) {
	g := tl.NewGenerator(3)
	delays := g.RandInt(0, 300, 64).Int64s()
	f := FuncDataset{N: 64, Fn: func(i int) []*tl.Tensor {
		time.Sleep(time.Duration(delays[i]) * time.Microsecond)
		return []*tl.Tensor{tl.FromInt64s([]int64{int64(i)}).Reshape()}
	}}
	ref, err := collect(t, NewDataLoader(f, 5, LoaderOptions{Shuffle: true, Generator: tl.NewGenerator(9)}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := collect(t, NewDataLoader(f, 5, LoaderOptions{Shuffle: true, Generator: tl.NewGenerator(9), NumWorkers: 4, PrefetchFactor: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ref) {
		t.Errorf("with workers %v\nwithout %v", got, ref)
	}
}

// TestDataLoaderPrefetchBound checks that workers run at most
// NumWorkers·PrefetchFactor batches ahead of the consumer.
func TestDataLoaderPrefetchBound(t *testing.T) {
	var fetched atomic.Int64
	f := FuncDataset{N: 100, Fn: func(i int) []*tl.Tensor {
		fetched.Add(1)
		return []*tl.Tensor{tl.Scalar(float64(i))}
	}}
	const workers, prefetch = 2, 3
	l := NewDataLoader(f, 1, LoaderOptions{NumWorkers: workers, PrefetchFactor: prefetch})
	it := l.Iter()
	defer it.Close()
	for k := 0; k < 10; k++ {
		if !it.Next() {
			t.Fatal(it.Err())
		}
		time.Sleep(2 * time.Millisecond) // let the workers run ahead
		// Batches 0..k consumed; at most workers·prefetch further ones fetched.
		if n := fetched.Load(); n > int64(k+1+workers*prefetch) {
			t.Fatalf("after %d batches %d samples fetched, bound %d", k+1, n, k+1+workers*prefetch)
		}
	}
}

func TestDataLoaderErrors(t *testing.T) {
	boom := errors.New("bad sample")
	f := FuncDataset{N: 10, Fn: func(i int) []*tl.Tensor {
		if i == 7 {
			panic(boom)
		}
		return []*tl.Tensor{tl.Scalar(float64(i))}
	}}
	for _, workers := range []int{0, 1, 3} {
		l := NewDataLoader(f, 2, LoaderOptions{NumWorkers: workers})
		got, err := collect(t, l)
		if len(got) != 3 {
			t.Errorf("workers %d: %d batches before the error, want 3", workers, len(got))
		}
		var le *LoaderError
		if !errors.As(err, &le) || !errors.Is(err, boom) {
			t.Fatalf("workers %d: err = %v, want a *LoaderError wrapping %v", workers, err, boom)
		}
		if le.Batch != 3 || le.Index != 7 || len(le.Stack) == 0 || !strings.Contains(err.Error(), "sample 7") {
			t.Errorf("workers %d: %+v", workers, le)
		}
	}
	// A collation failure (fields of different shapes) is an error too, and
	// a *tl.Error panic is reachable with errors.As.
	bad := FuncDataset{N: 4, Fn: func(i int) []*tl.Tensor { return []*tl.Tensor{tl.Zeros(i + 1)} }}
	_, err := collect(t, NewDataLoader(bad, 2, LoaderOptions{NumWorkers: 2}))
	var te *tl.Error
	if !errors.As(err, &te) || te.Op != "Stack" {
		t.Errorf("collate error: %v", err)
	}
	if err := tl.Catch(func() { NewDataLoader(f, 0) }); err == nil {
		t.Error("batch size 0 accepted")
	}
}

// TestDataLoaderClose stops an epoch early; the workers must exit instead of
// blocking forever.
func TestDataLoaderClose(t *testing.T) {
	f := FuncDataset{N: 1000, Fn: func(i int) []*tl.Tensor { return []*tl.Tensor{tl.Scalar(float64(i))} }}
	before := runtime.NumGoroutine()
	l := NewDataLoader(f, 4, LoaderOptions{NumWorkers: 3})
	it := l.Iter()
	for i := 0; i < 3 && it.Next(); i++ {
	}
	if runtime.NumGoroutine() <= before {
		t.Fatal("no worker goroutines running")
	}
	it.Close()
	if it.Next() || it.Err() != nil {
		t.Error("Next after Close")
	}
	if !waitGoroutines(before) {
		t.Errorf("%d goroutines after Close, %d before", runtime.NumGoroutine(), before)
	}
	// An abandoned iterator is closed when collected.
	func() {
		it := l.Iter()
		it.Next()
	}()
	for i := 0; i < 5; i++ {
		runtime.GC()
	}
	if !waitGoroutines(before) {
		t.Errorf("%d goroutines after dropping an iterator, %d before", runtime.NumGoroutine(), before)
	}
}

// waitGoroutines waits up to a second for the goroutine count to fall to n.
func waitGoroutines(n int) bool {
	for i := 0; i < 100; i++ {
		if runtime.NumGoroutine() <= n {
			return true
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	return false
}
