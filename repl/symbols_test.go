package repl

import (
	"path/filepath"
	"testing"

	"github.com/gotensor/gt/repl/internal/symgen"
)

// TestSymbolsUpToDate regenerates the interpreter's symbols in memory and
// fails when the committed files in repl/symbols differ: run
// `go generate ./repl/` after changing an exported API.
func TestSymbolsUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks every exposed package from source")
	}
	root, err := symgen.ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	files, err := symgen.Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	if diff := symgen.Diff(filepath.Join(root, "repl", "symbols"), files); diff != "" {
		t.Fatalf("repl/symbols is stale (%s): run `go generate ./repl/`", diff)
	}
}
