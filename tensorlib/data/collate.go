package data

import (
	"fmt"

	tl "github.com/gotensor/gt/tensorlib"
)

// CollateFunc merges a list of samples into a batch.
type CollateFunc func(samples [][]*tl.Tensor) []*tl.Tensor

// DefaultCollate stacks each field of the samples along a new first
// dimension, as torch's default_collate does for tuples of tensors: samples
// of (x (3), y ()) give a batch of (x (B, 3), y (B)). It panics with a
// *tl.Error if the samples have different numbers of fields or a field's
// shapes differ.
func DefaultCollate(samples [][]*tl.Tensor) []*tl.Tensor {
	if len(samples) == 0 {
		return nil
	}
	nf := len(samples[0])
	out := make([]*tl.Tensor, nf)
	col := make([]*tl.Tensor, len(samples))
	for f := 0; f < nf; f++ {
		for i, s := range samples {
			if len(s) != nf {
				panic(&tl.Error{Op: "DefaultCollate", Msg: fmt.Sprintf("each sample should have the same number of fields: sample 0 has %d, sample %d has %d", nf, i, len(s))})
			}
			if s[f] == nil {
				panic(&tl.Error{Op: "DefaultCollate", Msg: fmt.Sprintf("field %d of sample %d is nil", f, i)})
			}
			col[i] = s[f]
		}
		out[f] = tl.Stack(col, 0)
	}
	return out
}
