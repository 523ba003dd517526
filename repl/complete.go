package repl

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/traefik/yaegi/stdlib"
)

// Complete returns the completions of the word that ends at byte offset pos
// of line, and the offset where that word starts (so a front end replaces
// line[start:pos] by a candidate). It completes commands after ':',
// variables, functions and types declared at the prompt, package names,
// package members after "pkg.", and the methods and fields of a value's
// type after "expr." (the type is found without evaluating anything).
func (s *Session) Complete(line string, pos int) (cands []string, start int) {
	if pos > len(line) {
		pos = len(line)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	head := line[:pos]
	start = pos
	for start > 0 {
		r, size := utf8.DecodeLastRuneInString(head[:start])
		if !isIdentRune(r) {
			break
		}
		start -= size
	}
	prefix := head[start:]
	trimmed := strings.TrimLeft(head, " \t")
	if strings.HasPrefix(trimmed, ":") && !strings.ContainsAny(trimmed, " \t") {
		for _, c := range Commands() {
			if strings.HasPrefix(c.Name, prefix) {
				cands = append(cands, c.Name)
			}
		}
		return cands, start
	}
	if start > 0 && head[start-1] == '.' {
		recv := receiverBefore(head[:start-1])
		if recv == "" {
			return nil, start
		}
		var names []string
		if syms := s.packageSymbolsFor(recv); syms != nil {
			for name := range syms {
				names = append(names, name)
			}
		} else if t := s.exprType(recv); t != nil {
			names = s.members(t)
		}
		return filterPrefix(names, prefix), start
	}
	if prefix == "" {
		return nil, start
	}
	var names []string
	for name := range s.globals() {
		if !strings.HasPrefix(name, "__gt") {
			names = append(names, name)
		}
	}
	for name := range s.decls.funcs {
		names = append(names, name)
	}
	for name := range s.decls.types {
		names = append(names, name)
	}
	for alias := range Preimports() {
		names = append(names, alias)
	}
	for alias := range s.decls.imports {
		names = append(names, alias)
	}
	names = append(names, goWords...)
	return filterPrefix(names, prefix), start
}

// packageSymbolsFor returns the symbols of a package alias visible at the
// prompt, or nil when recv is not a package.
func (s *Session) packageSymbolsFor(recv string) map[string]bool {
	if _, isVar := s.globals()[recv]; isVar {
		return nil
	}
	syms := packageSymbols(recv)
	if syms == nil {
		if path, ok := s.decls.imports[recv]; ok {
			base := path[strings.LastIndex(path, "/")+1:]
			syms = stdlib.Symbols[path+"/"+base]
		}
	}
	if syms == nil {
		return nil
	}
	out := map[string]bool{}
	for name := range syms {
		if !strings.HasPrefix(name, "_") {
			out[name] = true
		}
	}
	return out
}

// receiverBefore returns the selector chain that ends at the end of s:
// identifiers, dots and balanced (…) and […] groups ("x.Add(y).Sum()").
func receiverBefore(s string) string {
	i := len(s)
	for i > 0 {
		c := s[i-1]
		switch {
		case c == ')' || c == ']':
			open := byte('(')
			if c == ']' {
				open = '['
			}
			depth := 0
			j := i - 1
			for ; j >= 0; j-- {
				switch s[j] {
				case c:
					depth++
				case open:
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if j < 0 {
				return ""
			}
			i = j
		case c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			i--
		default:
			return s[i:]
		}
	}
	return s[i:]
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// filterPrefix returns the sorted, distinct names starting with prefix.
func filterPrefix[T []string | map[string]bool](names T, prefix string) []string {
	set := map[string]bool{}
	switch n := any(names).(type) {
	case []string:
		for _, x := range n {
			set[x] = true
		}
	case map[string]bool:
		set = n
	}
	var out []string
	for x := range set {
		if strings.HasPrefix(x, prefix) {
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// goWords are Go's keywords, predeclared functions and common types.
var goWords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
	"return", "select", "struct", "switch", "type", "var",
	"append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make",
	"max", "min", "new", "panic", "print", "println", "real", "recover",
	"bool", "byte", "error", "float32", "float64", "int", "int64", "rune", "string", "any",
	"true", "false", "nil",
}
