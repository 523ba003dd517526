package main

import (
	"bufio"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// History is kept in a file with one entry per line, each a quoted Go
// string, so multi-line entries (a function, a loop) come back whole in the
// next session. At the prompt, a multi-line entry is recalled as one line
// that evaluates the same (joinLines).

// maxHistory bounds the entries kept.
const maxHistory = 2000

func defaultHistoryPath() string {
	if p := os.Getenv("GTREPL_HISTORY"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".gtrepl_history")
}

// loadHistory reads the entries of a history file (missing: none).
func loadHistory(path string) []string {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if s, err := strconv.Unquote(line); err == nil {
			out = append(out, s)
		} else if line != "" {
			out = append(out, line) // a plain line
		}
	}
	if len(out) > maxHistory {
		out = out[len(out)-maxHistory:]
	}
	return out
}

// appendHistory adds one entry to the history file.
func appendHistory(path, entry string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(strconv.Quote(entry) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// joinLines turns a multi-line Go input into one line that evaluates the
// same: a newline where Go inserts a semicolon becomes "; ", any other
// newline a space, and line comments are dropped.
func joinLines(src string) string {
	src = strings.TrimRight(src, "\n")
	if !strings.Contains(src, "\n") {
		return src
	}
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), func(token.Position, string) {}, scanner.ScanComments)
	semis := map[int]bool{}
	type span struct{ from, to int }
	var comments []span
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		switch {
		case tok == token.SEMICOLON && lit == "\n":
			semis[off] = true
		case tok == token.COMMENT && strings.HasPrefix(lit, "//"):
			comments = append(comments, span{off, off + len(lit)})
		case tok == token.STRING && strings.Contains(lit, "\n"):
			return src // a raw string spanning lines: keep the entry as it is
		}
	}
	b := []byte(src)
	for _, c := range comments {
		for i := c.from; i < c.to; i++ {
			b[i] = ' '
		}
		semis[c.to] = semis[c.to] || semis[c.from] // the semicolon is reported at the comment
	}
	var out strings.Builder
	start := 0
	for i := 0; i <= len(b); i++ {
		if i < len(b) && b[i] != '\n' {
			continue
		}
		line := strings.TrimSpace(string(b[start:i]))
		if line != "" {
			if out.Len() > 0 {
				out.WriteByte(' ')
			}
			out.WriteString(line)
			if i < len(b) && semis[i] {
				out.WriteByte(';')
			}
		}
		start = i + 1
	}
	return out.String()
}
