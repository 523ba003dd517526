package main

import (
	"os"
	"os/exec"
	"testing"
)

// BenchmarkStartup runs the binary on one input: process start, session
// creation, one evaluation, exit.
func BenchmarkStartup(b *testing.B) {
	bin, err := buildBinary()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin, "-e", "1")
		cmd.Env = append(os.Environ(), "GTREPL_HISTORY=")
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "1\n" {
			b.Fatalf("%v: %q", err, out)
		}
	}
}
