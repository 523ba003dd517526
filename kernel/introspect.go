package kernel

import (
	"encoding/json"
	"go/scanner"
	"go/token"
	"strings"
	"unicode/utf8"

	"github.com/gotensor/gt/repl"
)

// Completion, inspection and is_complete. Cursor positions in protocol 5.2+
// count Unicode code points; the engine works in bytes.

// byteOffset converts a code-point offset into code to a byte offset.
func byteOffset(code string, cp int) int {
	if cp <= 0 {
		return 0
	}
	n := 0
	for i := range code {
		if n == cp {
			return i
		}
		n++
	}
	return len(code)
}

// codePoints counts the code points of code[:b].
func codePoints(code string, b int) int {
	if b > len(code) {
		b = len(code)
	}
	return utf8.RuneCountInString(code[:b])
}

type cursorRequest struct {
	Code      string `json:"code"`
	CursorPos *int   `json:"cursor_pos"`
}

// cursor returns the request's code and cursor byte offset (the end when
// absent).
func (r cursorRequest) cursor() int {
	if r.CursorPos == nil {
		return len(r.Code)
	}
	return byteOffset(r.Code, *r.CursorPos)
}

// complete answers complete_request: magic names after a leading % or :,
// else the engine's completions (variables, package members, methods).
func (k *Kernel) complete(m *message) {
	var req cursorRequest
	if err := json.Unmarshal(m.content, &req); err != nil {
		k.reply(k.shell, &k.shellMu, m, "complete_reply", map[string]any{"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{}})
		return
	}
	pos := req.cursor()
	lineStart := strings.LastIndexByte(req.Code[:pos], '\n') + 1
	line := req.Code[lineStart:pos]
	var matches []string
	start := pos
	if len(line) > 0 && (line[0] == '%' || line[0] == ':') && !strings.ContainsAny(line, " \t") {
		prefix := strings.TrimLeft(line, "%:")
		start = pos - len(prefix)
		for _, n := range magicNames() {
			if strings.HasPrefix(n, prefix) {
				matches = append(matches, n)
			}
		}
	} else {
		matches, start = k.sess.Complete(req.Code, pos)
	}
	if matches == nil {
		matches = []string{}
	}
	k.reply(k.shell, &k.shellMu, m, "complete_reply", map[string]any{
		"status": "ok", "matches": matches, "metadata": map[string]any{},
		"cursor_start": codePoints(req.Code, start), "cursor_end": codePoints(req.Code, pos)})
}

// inspect answers inspect_request with the documentation of the name at
// the cursor (or of the function whose call the cursor is in).
func (k *Kernel) inspect(m *message) {
	var req cursorRequest
	if err := json.Unmarshal(m.content, &req); err != nil {
		k.reply(k.shell, &k.shellMu, m, "inspect_reply", map[string]any{"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{}})
		return
	}
	content := map[string]any{"status": "ok", "found": false, "data": map[string]any{}, "metadata": map[string]any{}}
	if name := nameAt(req.Code, req.cursor()); name != "" {
		if doc, err := k.sess.Inspect(name); err == nil && doc != "" {
			content["found"] = true
			content["data"] = map[string]any{"text/plain": doc}
		}
	}
	k.reply(k.shell, &k.shellMu, m, "inspect_reply", content)
}

func isNameByte(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// nameAt returns the dotted name around byte offset pos ("tl.Zeros",
// "x.Add"), or, when there is none, the callee of the innermost call the
// cursor is in ("tl.Zeros(2, |" → "tl.Zeros").
func nameAt(code string, pos int) string {
	if pos > len(code) {
		pos = len(code)
	}
	l := pos
	for l > 0 && isNameByte(code[l-1]) {
		l--
	}
	r := pos
	for r < len(code) && isNameByte(code[r]) && code[r] != '.' {
		r++
	}
	if name := strings.Trim(code[l:r], "."); name != "" {
		return name
	}
	depth := 0
	for i := pos - 1; i >= 0; i-- {
		switch code[i] {
		case ')':
			depth++
		case '(':
			if depth == 0 {
				j := i
				for j > 0 && isNameByte(code[j-1]) {
					j--
				}
				return strings.Trim(code[j:i], ".")
			}
			depth--
		}
	}
	return ""
}

// isComplete answers is_complete_request with the REPL's continuation
// rules: incomplete while brackets or a block are open (with the indent of
// the next line), invalid when the input does not parse, else complete.
func (k *Kernel) isComplete(m *message) {
	var req struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(m.content, &req); err != nil {
		k.reply(k.shell, &k.shellMu, m, "is_complete_reply", map[string]any{"status": "unknown"})
		return
	}
	status, indent := completeness(req.Code)
	content := map[string]any{"status": status}
	if status == "incomplete" {
		content["indent"] = indent
	}
	k.reply(k.shell, &k.shellMu, m, "is_complete_reply", content)
}

// completeness classifies a cell: "complete", "incomplete" (and the indent
// of its next line) or "invalid".
func completeness(code string) (status, indent string) {
	c, err := splitCell(code)
	if err != nil {
		return "invalid", ""
	}
	if n := len(c.parts); n > 0 && c.parts[n-1].kind == goPart && !repl.IsComplete(c.parts[n-1].src) {
		return "incomplete", strings.Repeat("\t", max(bracketDepth(c.parts[n-1].src), 0))
	}
	for _, p := range c.parts {
		if p.kind == goPart && repl.CheckSyntax(p.src) != nil {
			return "invalid", ""
		}
	}
	return "complete", ""
}

// bracketDepth counts the brackets left open in src.
func bracketDepth(src string) int {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), nil, 0)
	depth := 0
	for {
		_, tok, _ := s.Scan()
		switch tok {
		case token.EOF:
			return depth
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		}
	}
}
