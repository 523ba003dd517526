// Package symbols holds the yaegi symbol tables of gt's packages (generated
// by `go generate ./repl/`; do not edit the gen_*.go files) and the index of
// their documentation used by the REPL's Inspect.
package symbols

import "reflect"

// Symbols are the exported symbols of gt's packages, keyed as yaegi expects
// ("import/path/name" → symbol name → value).
var Symbols = map[string]map[string]reflect.Value{}

// Package is one exposed package.
type Package struct {
	Path  string // import path
	Alias string // name it is pre-imported under
}
