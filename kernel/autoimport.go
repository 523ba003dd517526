package kernel

import (
	"context"
	"fmt"
	"go/scanner"
	"go/token"
	"sort"
	"strings"
	"sync"

	"github.com/gotensor/gt/repl"
	"github.com/traefik/yaegi/stdlib"
)

// GoNB runs goimports on every cell, so notebooks use standard packages
// (strings, os, time, …) without importing them. The kernel does the same
// for its session: before a Go part runs, each name used as `pkg.Name` that
// is neither pre-imported nor a variable, and that names a standard package
// exporting Name, is imported.

var (
	stdOnce sync.Once
	stdPkgs map[string][]string // package name → import paths
)

// stdPackages indexes the standard library the interpreter offers.
func stdPackages() map[string][]string {
	stdOnce.Do(func() {
		stdPkgs = map[string][]string{}
		for key := range stdlib.Symbols {
			i := strings.LastIndexByte(key, '/')
			if i < 0 {
				continue
			}
			path, name := key[:i], key[i+1:]
			if strings.Contains(path, "internal") {
				continue
			}
			stdPkgs[name] = append(stdPkgs[name], path)
		}
		for _, paths := range stdPkgs {
			sort.Slice(paths, func(i, j int) bool {
				// Prefer the shorter path (math/rand over crypto/rand is
				// settled by the symbols used; then math/rand over
				// math/rand/v2).
				if len(paths[i]) != len(paths[j]) {
					return len(paths[i]) < len(paths[j])
				}
				return paths[i] < paths[j]
			})
		}
	})
	return stdPkgs
}

// missingImports returns the import paths src needs, given the names the
// session already binds.
func missingImports(src string, bound func(string) bool) []string {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), func(token.Position, string) {}, 0)
	type tok struct {
		t   token.Token
		lit string
	}
	var toks []tok
	for {
		_, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		toks = append(toks, tok{t, lit})
	}
	selectors := map[string][]string{} // X → the names selected from it
	plain := map[string]bool{}         // identifiers used otherwise
	for i, t := range toks {
		if t.t != token.IDENT {
			continue
		}
		if i > 0 && toks[i-1].t == token.PERIOD {
			continue // a selected name
		}
		if i+2 < len(toks) && toks[i+1].t == token.PERIOD && toks[i+2].t == token.IDENT {
			selectors[t.lit] = append(selectors[t.lit], toks[i+2].lit)
			continue
		}
		plain[t.lit] = true
	}
	std := stdPackages()
	var out []string
	for x, sels := range selectors {
		if plain[x] || bound(x) {
			continue
		}
		for _, path := range std[x] {
			syms := stdlib.Symbols[path+"/"+x]
			ok := true
			for _, sel := range sels {
				if _, has := syms[sel]; !has {
					ok = false
					break
				}
			}
			if ok {
				out = append(out, path)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// autoImport imports the standard packages a Go part uses without
// importing them.
func (k *Kernel) autoImport(ctx context.Context, src string) {
	pre := repl.Preimports()
	var vars map[string]bool
	bound := func(name string) bool {
		if _, ok := pre[name]; ok {
			return true
		}
		if vars == nil {
			vars = map[string]bool{}
			for _, v := range k.sess.Vars() {
				vars[v.Name] = true
			}
		}
		return vars[name]
	}
	for _, path := range missingImports(src, bound) {
		if _, err := k.sess.Eval(ctx, fmt.Sprintf("import %q", path)); err != nil {
			k.log.Printf("auto-import %s: %v", path, err)
		}
	}
}
