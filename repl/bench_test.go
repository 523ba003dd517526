package repl

import (
	"context"
	"io"
	"strings"
	"testing"
)

// BenchmarkNewSession measures start-up: an interpreter with every package
// pre-imported, ready for its first input.
func BenchmarkNewSession(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := New(Options{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalSmallOp measures the latency of one small tensor line.
func BenchmarkEvalSmallOp(b *testing.B) {
	s, err := New(Options{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Eval(ctx, "a := tl.Ones(4, 4)"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Eval(ctx, "a.Add(a).Sum()"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalAssign measures a line that displays nothing.
func BenchmarkEvalAssign(b *testing.B) {
	s, err := New(Options{Stdout: io.Discard, Stderr: io.Discard, Stdin: strings.NewReader("")})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Eval(ctx, "a := tl.Ones(4, 4)"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Eval(ctx, "c := a.MatMul(a)"); err != nil {
			b.Fatal(err)
		}
	}
}
