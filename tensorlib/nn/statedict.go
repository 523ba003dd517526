package nn

import (
	"fmt"
	"sort"
	"strings"

	tl "github.com/gotensor/gt/tensorlib"
)

// StateDict maps names to tensors and remembers insertion order, like the
// OrderedDict PyTorch's state_dict returns.
type StateDict struct {
	keys []string
	m    map[string]*tl.Tensor
}

// NewStateDict returns an empty state dict.
func NewStateDict() *StateDict { return &StateDict{m: map[string]*tl.Tensor{}} }

// Set stores t under name, appending name to the order if it is new.
func (s *StateDict) Set(name string, t *tl.Tensor) {
	if _, ok := s.m[name]; !ok {
		s.keys = append(s.keys, name)
	}
	s.m[name] = t
}

// Get returns the tensor stored under name.
func (s *StateDict) Get(name string) (*tl.Tensor, bool) {
	t, ok := s.m[name]
	return t, ok
}

// Keys returns the names in insertion order.
func (s *StateDict) Keys() []string { return append([]string{}, s.keys...) }

// Len returns the number of entries.
func (s *StateDict) Len() int { return len(s.keys) }

// String lists the entries with their shapes and dtypes.
func (s *StateDict) String() string {
	var b strings.Builder
	for _, k := range s.keys {
		t := s.m[k]
		fmt.Fprintf(&b, "%s\t%v\t%v\n", k, t.Shape(), t.DType())
	}
	return b.String()
}

// StateDictOf returns m's parameters and buffers (detached, sharing storage)
// in PyTorch's order: each module's parameters, then its buffers, then its
// children.
func StateDictOf(m any) *StateDict {
	sd := NewStateDict()
	add := func(name string, t *tl.Tensor) { sd.Set(name, t.Detach()) }
	walk(m, visitor{param: add, buffer: add})
	return sd
}

// LoadStateDict copies the tensors of sd into m's parameters and buffers.
// With strict, missing and unexpected keys are errors; shape mismatches are
// always errors. Nothing is modified when an error is returned.
func LoadStateDict(m any, sd *StateDict, strict bool) error {
	own := StateDictOf(m)
	var missing, unexpected, mismatch []string
	for _, k := range own.keys {
		src, ok := sd.m[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		dst := own.m[k]
		if !sameInts(src.Shape(), dst.Shape()) {
			mismatch = append(mismatch, fmt.Sprintf("size mismatch for %s: copying a param with shape %v from checkpoint, the shape in current model is %v", k, src.Shape(), dst.Shape()))
		}
	}
	for _, k := range sd.keys {
		if _, ok := own.m[k]; !ok {
			unexpected = append(unexpected, k)
		}
	}
	var msgs []string
	if strict && len(missing) > 0 {
		msgs = append(msgs, "Missing key(s) in state_dict: "+quoteAll(missing))
	}
	if strict && len(unexpected) > 0 {
		sort.Strings(unexpected)
		msgs = append(msgs, "Unexpected key(s) in state_dict: "+quoteAll(unexpected))
	}
	msgs = append(msgs, mismatch...)
	if len(msgs) > 0 {
		return fmt.Errorf("error(s) in loading state_dict: %s", strings.Join(msgs, "; "))
	}
	tl.NoGrad(func() {
		for _, k := range own.keys {
			if src, ok := sd.m[k]; ok {
				own.m[k].CopyInPlace(src)
			}
		}
	})
	return nil
}

func quoteAll(ks []string) string {
	q := make([]string, len(ks))
	for i, k := range ks {
		q[i] = `"` + k + `"`
	}
	return strings.Join(q, ", ")
}

func sameInts(a, b []int) bool {
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
