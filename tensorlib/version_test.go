package tensorlib

import (
	"strings"
	"testing"
)

func TestVersionAndBackends(t *testing.T) {
	if Version == "" {
		t.Fatal("empty Version")
	}
	b := Backends()
	if len(b) == 0 || !strings.HasPrefix(b[0], "cpu (") {
		t.Fatalf("Backends() = %q", b)
	}
	want := "cpu (pure Go)"
	switch {
	case sgemmImpl.name == "avx512":
		want = "cpu (AVX-512 asm)"
	case hasGEMMAsm:
		want = "cpu (AVX2+FMA asm)"
	}
	if b[0] != want {
		t.Errorf("Backends()[0] = %q, want %q", b[0], want)
	}
}
