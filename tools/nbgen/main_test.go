package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := "# Title\n\nSome `code` text.\n\n```go\nimport \"fmt\"\n\n%%\nfmt.Println(1)\n```\n\n" +
		"```sh\nmake jupyter\n```\n" + cellSplit + "\nMore.\n```go\n%%\nif true {\n\tfmt.Println(2)\n}\n```\n"
	cells, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	want := []Cell{
		markdownCell([]string{"# Title", "", "Some `code` text."}),
		codeCell([]string{`import "fmt"`, "", "%%", "fmt.Println(1)"}),
		markdownCell([]string{"```sh", "make jupyter", "```"}),
		markdownCell([]string{"More."}),
		codeCell([]string{"%%", "if true {", "\tfmt.Println(2)", "}"}),
	}
	if !reflect.DeepEqual(cells, want) {
		got, _ := json.MarshalIndent(cells, "", " ")
		t.Errorf("cells:\n%s", got)
	}
	if src := cells[1]["source"].([]string); src[0] != "import \"fmt\"\n" || src[3] != "fmt.Println(1)" {
		t.Errorf("source lines %q", src)
	}
	if src := cells[4]["source"].([]string); src[2] != "    fmt.Println(2)\n" {
		t.Errorf("tabs not turned into spaces: %q", src)
	}
	for _, bad := range []string{"```go\nx\n", "```go\n```\n"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestRender(t *testing.T) {
	nb, err := Render("text\n```go\n%%\nfmt.Println(1)\n```\n")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Cells    []map[string]any `json:"cells"`
		Metadata struct {
			Kernelspec map[string]string `json:"kernelspec"`
		} `json:"metadata"`
		NBFormat int `json:"nbformat"`
	}
	if err := json.Unmarshal(nb, &v); err != nil {
		t.Fatal(err)
	}
	if v.NBFormat != 4 || v.Metadata.Kernelspec["name"] != "gonb" || len(v.Cells) != 2 {
		t.Errorf("notebook %s", nb)
	}
	code := v.Cells[1]
	if _, ok := code["execution_count"]; !ok || code["execution_count"] != nil {
		t.Errorf("a code cell needs execution_count: null: %v", code)
	}
	if !strings.HasSuffix(string(nb), "}\n") {
		t.Error("no trailing newline")
	}
}

// TestNotebooksUpToDate fails when a notebook was edited by hand or its
// source changed without running go run ./tools/nbgen.
func TestNotebooksUpToDate(t *testing.T) {
	stale, err := generate("../../notebooks/src", "../../notebooks", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("out of date (run go run ./tools/nbgen): %v", stale)
	}
}
