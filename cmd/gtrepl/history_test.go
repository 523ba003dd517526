package main

import (
	"path/filepath"
	"testing"
)

func TestJoinLines(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"x := 1", "x := 1"},
		{"func add(a, b int) int {\n\treturn a + b // sum\n}", "func add(a, b int) int { return a + b; }"},
		{"f(1,\n  2)", "f(1, 2)"},
		{"for i := 0; i < 2; i++ {\n\tx := \"a  b\"\n\t_ = x\n}", "for i := 0; i < 2; i++ { x := \"a  b\"; _ = x; }"},
		{"s := `a\nb`", "s := `a\nb`"},
	} {
		if got := joinLines(c.in); got != c.want {
			t.Errorf("joinLines(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHistoryFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h")
	entries := []string{"x := 1", "func f() {\n\treturn\n}", `s := "quote\" and \\ backslash"`}
	for _, e := range entries {
		if err := appendHistory(path, e); err != nil {
			t.Fatal(err)
		}
	}
	got := loadHistory(path)
	if len(got) != len(entries) {
		t.Fatalf("loaded %d entries: %q", len(got), got)
	}
	for i := range entries {
		if got[i] != entries[i] {
			t.Errorf("entry %d = %q, want %q", i, got[i], entries[i])
		}
	}
}
