// Command nbgen writes the tutorial notebooks (notebooks/*.ipynb) from their
// Markdown sources (notebooks/src/*.md), so that text and code are reviewed
// as plain files. In a source, every fenced block opened by a line "```go"
// becomes a code cell (for the GoNB kernel); the text between code blocks
// becomes a Markdown cell (other fences, such as ```sh, stay in the text). A
// line "<!-- cell -->" splits Markdown into two cells. Code is indented with
// four spaces per level in the notebook (gofmt's tabs in the source).
//
//	go run ./tools/nbgen          # regenerate notebooks/*.ipynb
//	go run ./tools/nbgen -check   # fail if a notebook differs from its source
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cellSplit is the line that splits Markdown into two cells.
const cellSplit = "<!-- cell -->"

// Cell is one notebook cell in nbformat 4, as a JSON object (encoded with
// sorted keys, as Jupyter writes notebooks).
type Cell map[string]any

// markdownCell and codeCell make the two kinds of cell.
func markdownCell(lines []string) Cell {
	return Cell{"cell_type": "markdown", "metadata": map[string]any{}, "source": sourceLines(lines)}
}

// codeCell makes a code cell; leading tabs become four spaces each, as
// Jupyter's editor indents (the sources keep gofmt's tabs).
func codeCell(lines []string) Cell {
	lines = append([]string(nil), lines...)
	for i, l := range lines {
		t := len(l) - len(strings.TrimLeft(l, "\t"))
		lines[i] = strings.Repeat("    ", t) + l[t:]
	}
	return Cell{"cell_type": "code", "execution_count": nil, "metadata": map[string]any{},
		"outputs": []any{}, "source": sourceLines(lines)}
}

// Notebook is an nbformat 4 notebook.
type Notebook struct {
	Cells         []Cell         `json:"cells"`
	Metadata      map[string]any `json:"metadata"`
	NBFormat      int            `json:"nbformat"`
	NBFormatMinor int            `json:"nbformat_minor"`
}

// Parse splits a Markdown source into cells.
func Parse(src string) ([]Cell, error) {
	var cells []Cell
	var text []string
	flushText := func() {
		for len(text) > 0 && strings.TrimSpace(text[0]) == "" {
			text = text[1:]
		}
		for len(text) > 0 && strings.TrimSpace(text[len(text)-1]) == "" {
			text = text[:len(text)-1]
		}
		if len(text) > 0 {
			cells = append(cells, markdownCell(text))
		}
		text = nil
	}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case line == cellSplit:
			flushText()
		case strings.TrimRight(line, " ") == "```go":
			flushText()
			start := i + 1
			end := start
			for end < len(lines) && strings.TrimRight(lines[end], " ") != "```" {
				end++
			}
			if end == len(lines) {
				return nil, fmt.Errorf("line %d: ```go block not closed", i+1)
			}
			code := lines[start:end]
			if len(code) == 0 {
				return nil, fmt.Errorf("line %d: empty code block", i+1)
			}
			cells = append(cells, codeCell(code))
			i = end
		default:
			text = append(text, line)
		}
	}
	flushText()
	return cells, nil
}

// sourceLines turns lines into nbformat's source list: each line with its
// newline, but the last.
func sourceLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if i < len(lines)-1 {
			l += "\n"
		}
		out[i] = l
	}
	return out
}

// Render builds the notebook JSON of a Markdown source, as Jupyter writes
// it (one-space indentation, trailing newline).
func Render(src string) ([]byte, error) {
	cells, err := Parse(src)
	if err != nil {
		return nil, err
	}
	nb := Notebook{
		Cells: cells,
		Metadata: map[string]any{
			"kernelspec": map[string]any{"display_name": "Go (gonb)", "language": "go", "name": "gonb"},
			"language_info": map[string]any{
				"codemirror_mode": "", "file_extension": ".go", "mimetype": "", "name": "go",
				"nbconvert_exporter": "", "pygments_lexer": "", "version": "go1.24",
			},
		},
		NBFormat:      4,
		NBFormatMinor: 4,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(nb); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// generate renders every source in srcDir into outDir; with check it only
// compares and returns the notebooks that differ.
func generate(srcDir, outDir string, check bool) (stale []string, err error) {
	srcs, err := filepath.Glob(filepath.Join(srcDir, "*.md"))
	if err != nil {
		return nil, err
	}
	if len(srcs) == 0 {
		return nil, fmt.Errorf("no sources in %s", srcDir)
	}
	for _, src := range srcs {
		raw, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		nb, err := Render(string(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", src, err)
		}
		out := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(src), ".md")+".ipynb")
		old, _ := os.ReadFile(out)
		if bytes.Equal(old, nb) {
			continue
		}
		stale = append(stale, out)
		if !check {
			if err := os.WriteFile(out, nb, 0o644); err != nil {
				return nil, err
			}
		}
	}
	return stale, nil
}

func main() {
	src := flag.String("src", "notebooks/src", "directory of Markdown sources")
	out := flag.String("out", "notebooks", "directory of the generated notebooks")
	check := flag.Bool("check", false, "only check that the notebooks are up to date")
	flag.Parse()
	stale, err := generate(*src, *out, *check)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nbgen:", err)
		os.Exit(1)
	}
	for _, s := range stale {
		if *check {
			fmt.Fprintf(os.Stderr, "nbgen: %s is out of date: run go run ./tools/nbgen\n", s)
		} else {
			fmt.Println("wrote", s)
		}
	}
	if *check && len(stale) > 0 {
		os.Exit(1)
	}
}
