package repl

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

// chunkKind says how a piece of input is evaluated.
type chunkKind int

const (
	declChunk chunkKind = iota // package-level declarations (func, type, var, const, import)
	stmtChunk                  // statements, run in order
)

// chunk is a run of declarations or of statements in an input.
type chunk struct {
	kind   chunkKind
	src    string
	offset int // byte offset of src in the input
}

// mask replaces every byte of s but newlines with a space, so that text
// placed after it keeps its line and column.
func mask(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c != '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// padded places a chunk found at off in input on its own line and column,
// after a first line that the interpreter's wrapping uses: reported lines are
// one more than the input's.
func padded(chunk string, off int, input string) string {
	return "\n" + mask(input[:off]) + chunk
}

// wrapShow wraps the expression found at off in input in a call that
// captures its values, keeping the expression's line and column.
func wrapShow(expr string, off int, input string) string {
	return rtAlias + ".Show(\n" + mask(input[:off]) + expr + ")"
}

// tokInfo is a scanned token with its byte range.
type tokInfo struct {
	off, end int
	tok      token.Token
}

// splitInput splits an input into runs of declarations and statements
// (the interpreter evaluates one kind at a time) and checks its syntax.
func splitInput(src string) ([]chunk, error) {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	var firstErr error
	s.Init(file, []byte(src), func(pos token.Position, msg string) {
		if firstErr == nil {
			firstErr = &Error{Kind: SyntaxError, Line: pos.Line, Col: pos.Column, Msg: msg}
		}
	}, 0)
	var segs [][]tokInfo
	var cur []tokInfo
	depth := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if tok == token.SEMICOLON && depth <= 0 {
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		n := len(lit)
		if n == 0 {
			n = len(tok.String())
		}
		cur = append(cur, tokInfo{off, off + n, tok})
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	var chunks []chunk
	for _, seg := range segs {
		kind := stmtChunk
		switch seg[0].tok {
		case token.IMPORT, token.CONST, token.TYPE, token.VAR:
			kind = declChunk
		case token.FUNC:
			if isFuncDecl(seg) {
				kind = declChunk
			}
		}
		start, end := seg[0].off, seg[len(seg)-1].end
		if n := len(chunks); n > 0 && chunks[n-1].kind == kind {
			c := &chunks[n-1]
			c.src = src[c.offset:end]
			continue
		}
		chunks = append(chunks, chunk{kind: kind, src: src[start:end], offset: start})
	}
	for _, c := range chunks {
		if err := checkSyntax(c, src); err != nil {
			return nil, err
		}
	}
	return chunks, nil
}

// isFuncDecl tells a function or method declaration ("func f(", "func (r
// T) m(") from a function literal starting a statement ("func() {…}()").
func isFuncDecl(seg []tokInfo) bool {
	if len(seg) < 2 {
		return false
	}
	if seg[1].tok == token.IDENT {
		return true
	}
	if seg[1].tok != token.LPAREN {
		return false
	}
	depth := 0
	for i := 1; i < len(seg); i++ {
		switch seg[i].tok {
		case token.LPAREN:
			depth++
		case token.RPAREN:
			depth--
			if depth == 0 {
				return i+2 < len(seg) && seg[i+1].tok == token.IDENT && (seg[i+2].tok == token.LPAREN || seg[i+2].tok == token.LBRACK)
			}
		}
	}
	return false
}

const (
	fileHead = "package p;"
	funcHead = "package p; func _() {"
)

// checkSyntax parses a chunk in its context, reporting syntax errors at
// their position in the input.
func checkSyntax(c chunk, input string) error {
	fset := token.NewFileSet()
	var err error
	if c.kind == declChunk {
		_, err = parser.ParseFile(fset, "", fileHead+padded(c.src, c.offset, input), 0)
	} else {
		_, err = parser.ParseFile(fset, "", funcHead+padded(c.src, c.offset, input)+"\n}", 0)
	}
	if err == nil {
		return nil
	}
	e := compileError(err)
	e.Kind = SyntaxError
	clampToInput(e, input)
	return e
}

// clampToInput moves an error found past the end of the input (at the
// interpreter's closing brace) to the input's end.
func clampToInput(e *Error, input string) {
	trimmed := strings.TrimRight(input, " \t\n")
	lines := strings.Split(trimmed, "\n")
	if e.Line > len(lines) {
		e.Line, e.Col = len(lines), len(lines[len(lines)-1])+1
	}
}

// splitLastExpr parses a statement chunk and, when its last statement is an
// expression, returns the statements before it and the expression with its
// offset in the input.
func splitLastExpr(input string, c chunk) (body string, expr ast.Expr, exprOff int, err error) {
	fset := token.NewFileSet()
	pre := funcHead + "\n" + mask(input[:c.offset])
	f, err := parser.ParseFile(fset, "", pre+c.src+"\n}", 0)
	if err != nil {
		e := compileError(err)
		e.Kind = SyntaxError
		return "", nil, 0, e
	}
	stmts := f.Decls[0].(*ast.FuncDecl).Body.List
	if len(stmts) == 0 {
		return c.src, nil, 0, nil
	}
	es, ok := stmts[len(stmts)-1].(*ast.ExprStmt)
	if !ok {
		return c.src, nil, 0, nil
	}
	base := len(pre) - c.offset // file offset = input offset + base
	exprOff = fset.Position(es.X.Pos()).Offset - base
	return input[c.offset:exprOff], es.X, exprOff, nil
}

// printFuncs are calls used for their output, whose results are not shown.
var printFuncs = map[string]bool{
	"fmt.Print": true, "fmt.Println": true, "fmt.Printf": true,
	"fmt.Fprint": true, "fmt.Fprintln": true, "fmt.Fprintf": true,
}

// displayable reports whether an expression statement's value is shown.
func displayable(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return true
	}
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok && printFuncs[id.Name+"."+sel.Sel.Name] {
			return false
		}
	}
	return true
}

// posRE matches "file.go:L:C: msg" and "L:C: msg".
var posRE = regexp.MustCompile(`^(?:[^\s:]*:)?(\d+):(\d+): ((?s).*)$`)

// panicLine matches the line yaegi prints per frame while a panic unwinds.
var panicLine = regexp.MustCompile(`^(?:[^\s:]*:)?(\d+:\d+): panic`)

// compileError converts an interpreter or parser error into an *Error at
// the input's position (the interpreter sees the input one line down).
func compileError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	msg := err.Error()
	if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
		msg = list[0].Error()
	}
	e := &Error{Kind: CompileError, Msg: msg}
	if m := posRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		e.Msg = m[3]
		if line > 1 {
			e.Line, e.Col = line-1, col
		}
	}
	e.Msg = strings.TrimSpace(e.Msg)
	return e
}

// IsComplete reports whether src is a complete input, or whether the front
// end should read more lines: brackets or a block still open, a raw string
// or comment unterminated, or a last token after which Go continues the line
// (an operator, a comma, a dot).
func IsComplete(src string) bool {
	trimmed := strings.TrimSpace(src)
	if trimmed == "" || strings.HasPrefix(trimmed, ":") {
		return true
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	open := false
	s.Init(file, []byte(src), func(pos token.Position, msg string) {
		if strings.Contains(msg, "raw string literal not terminated") || strings.Contains(msg, "comment not terminated") {
			open = true
		}
	}, 0)
	depth := 0
	last := token.ILLEGAL
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line end: keep the token before
		}
		last = tok
	}
	if open || depth > 0 {
		return false
	}
	switch last {
	case token.IDENT, token.INT, token.FLOAT, token.IMAG, token.CHAR, token.STRING,
		token.BREAK, token.CONTINUE, token.FALLTHROUGH, token.RETURN,
		token.INC, token.DEC, token.RPAREN, token.RBRACK, token.RBRACE,
		token.SEMICOLON, token.ILLEGAL:
		return true
	}
	return false
}

// undefinedRE extracts the name from yaegi's "undefined" messages.
var undefinedRE = regexp.MustCompile(`undefined(?: selector| field or method| method)?:? (\w+)$`)

// fixPosition checks the position yaegi gives a compile error in a chunk
// (its positions for top-level := statements can point elsewhere): an error
// naming an identifier is moved to that identifier's first occurrence when
// the reported line has none, and a position outside the chunk is dropped.
func fixPosition(e *Error, chunk string, off int, input string) {
	firstLine, _ := lineColAt(input, off)
	lastLine := firstLine + strings.Count(chunk, "\n")
	if m := undefinedRE.FindStringSubmatch(e.Msg); m != nil {
		var occ [][2]int
		fset := token.NewFileSet()
		file := fset.AddFile("", fset.Base(), len(chunk))
		var sc scanner.Scanner
		sc.Init(file, []byte(chunk), nil, 0)
		for {
			pos, tok, lit := sc.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.IDENT && lit == m[1] {
				l, c := lineColAt(input, off+file.Offset(pos))
				occ = append(occ, [2]int{l, c})
			}
		}
		for _, o := range occ {
			if o[0] == e.Line {
				return
			}
		}
		if len(occ) > 0 {
			e.Line, e.Col = occ[0][0], occ[0][1]
			return
		}
	}
	if e.Line < firstLine || e.Line > lastLine {
		e.Line, e.Col = 0, 0
	}
}

// lineColAt returns the 1-based line and column of a byte offset.
func lineColAt(s string, off int) (int, int) {
	line := 1 + strings.Count(s[:off], "\n")
	return line, off - strings.LastIndex(s[:off], "\n")
}
