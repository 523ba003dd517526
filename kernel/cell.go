package kernel

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"

	"github.com/gotensor/gt/repl"
)

// A cell is split into parts evaluated in order: runs of Go source, magic
// lines (%NAME or :NAME) and shell lines (!command). A line is a magic or a
// shell line only when it starts in the first column and the Go before it
// is complete, so a Go expression continued on a line starting with '!' stays
// Go. GoNB's "%%" separator (and its synonym "%main") is a blank line here:
// the statements after it run like the declarations before it.

type partKind int

const (
	goPart partKind = iota
	magicPart
	shellPart
)

// part is one piece of a cell.
type part struct {
	kind partKind
	src  string // Go source, padded with newlines so positions are the cell's
	name string // magic name
	args string // magic arguments or shell command
	line int    // 1-based line of the part in the cell
}

// cell is a split cell.
type cell struct {
	parts     []part
	cellMagic string // "time" for a first line %%time
}

// splitCell splits a cell's code into parts.
func splitCell(code string) (cell, error) {
	var c cell
	lines := strings.Split(strings.ReplaceAll(code, "\r\n", "\n"), "\n")
	// A cell magic on the first non-blank line.
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if strings.HasPrefix(l, "%%") && len(t) > 2 && t != "%%" {
			name, _, _ := strings.Cut(t[2:], " ")
			if name != "time" {
				return c, fmt.Errorf("unknown cell magic %%%%%s (the gt kernel knows %%%%time; a bare %%%% line is GoNB's separator and is ignored)", name)
			}
			c.cellMagic = name
			lines[i] = ""
		}
		break
	}
	var goLines []string
	goStart := -1
	flushGo := func() {
		if goStart >= 0 && strings.TrimSpace(strings.Join(goLines, "\n")) != "" {
			c.parts = append(c.parts, part{kind: goPart, line: goStart + 1,
				src: strings.Repeat("\n", goStart) + strings.Join(goLines, "\n")})
		}
		goLines, goStart = nil, -1
	}
	addGo := func(i int, l string) {
		if goStart < 0 {
			goStart = i
		}
		goLines = append(goLines, l)
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		special := l != "" && (l[0] == '%' || l[0] == '!' || l[0] == ':')
		if special && goStart >= 0 && !repl.IsComplete(strings.Join(goLines, "\n")+"\n") {
			special = false
		}
		if !special {
			addGo(i, l)
			continue
		}
		t := strings.TrimSpace(l)
		if t == "%%" || t == "%main" {
			addGo(i, "")
			continue
		}
		flushGo()
		if l[0] == '!' {
			// A trailing backslash continues the command on the next line.
			cmd, start := strings.TrimPrefix(strings.TrimPrefix(l, "!"), "*"), i
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd += "\n" + lines[i] // sh joins the lines
			}
			c.parts = append(c.parts, part{kind: shellPart, args: strings.TrimSpace(cmd), line: start + 1})
			continue
		}
		name, args, _ := strings.Cut(strings.TrimSpace(l[1:]), " ")
		c.parts = append(c.parts, part{kind: magicPart, name: name, args: strings.TrimSpace(args), line: i + 1})
	}
	flushGo()
	return c, nil
}

// declaresMain reports whether Go source declares a function main, which
// a cell runs after its declarations (as GoNB does).
func declaresMain(src string) bool {
	if !strings.Contains(src, "main") {
		return false
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+src, parser.SkipObjectResolution)
	if err != nil || f == nil {
		return false
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "main" {
			return true
		}
	}
	return false
}
