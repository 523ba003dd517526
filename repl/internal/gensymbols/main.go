// Command gensymbols regenerates the REPL's interpreter symbols and
// documentation index in repl/symbols. Run it with `go generate ./repl/`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gotensor/gt/repl/internal/symgen"
)

func main() {
	root, err := symgen.ModuleRoot(".")
	if err == nil {
		var files map[string][]byte
		if files, err = symgen.Generate(root); err == nil {
			err = symgen.Write(filepath.Join(root, "repl", "symbols"), files)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensymbols:", err)
		os.Exit(1)
	}
}
