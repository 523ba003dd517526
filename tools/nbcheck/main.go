// Command nbcheck checks executed notebooks (the output of jupyter nbconvert
// --execute) against a spec: every code cell ran, no cell failed or wrote to
// stderr, the expected text and numbers appear, and plotting notebooks show
// their images. make notebooks-test runs it.
//
//	go run ./tools/nbcheck -spec notebooks/testdata/expect.json OUT_DIR
//
// The spec maps each notebook's file name to its expectations:
//
//	{"01_linear_regression.ipynb": {
//	    "reference": "examples/linear_regression/testdata/reference.out",
//	    "images": 3,
//	    "contains": ["compute backends: [cpu ("]}}
//
// "reference" is the PyTorch output of the walkthrough (see
// examples/linear_regression/testdata/reference.out): the notebook must
// print its initial parameters, its ten epoch lines in order, its first rows
// of X and y, and the learned weight and bias to 4 decimals
// ("w: 2.0010, … b: 1.0419"). Paths are relative to the working directory.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Expect is what one executed notebook must show.
type Expect struct {
	Reference string   `json:"reference,omitempty"`
	Images    int      `json:"images,omitempty"`
	Contains  []string `json:"contains,omitempty"`
}

// notebook is the part of an nbformat 4 notebook the checks read.
type notebook struct {
	Cells []struct {
		CellType       string          `json:"cell_type"`
		ExecutionCount *int            `json:"execution_count"`
		Source         json.RawMessage `json:"source"`
		Outputs        []output        `json:"outputs"`
	} `json:"cells"`
}

type output struct {
	OutputType string                     `json:"output_type"`
	Name       string                     `json:"name"`
	Text       json.RawMessage            `json:"text"`
	Data       map[string]json.RawMessage `json:"data"`
	EName      string                     `json:"ename"`
	EValue     string                     `json:"evalue"`
	Traceback  []string                   `json:"traceback"`
}

// multiline decodes nbformat's text fields: a string or a list of strings.
func multiline(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []string
	if json.Unmarshal(raw, &parts) == nil {
		return strings.Join(parts, "")
	}
	return ""
}

// Check returns the problems of one executed notebook (nil when it passes).
func Check(nbJSON []byte, exp Expect) []string {
	var nb notebook
	if err := json.Unmarshal(nbJSON, &nb); err != nil {
		return []string{"not a notebook: " + err.Error()}
	}
	var problems []string
	var text strings.Builder // every output's text, in order
	images, code := 0, 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		code++
		where := fmt.Sprintf("cell %d (%.60q)", i+1, firstLine(multiline(c.Source)))
		if c.ExecutionCount == nil {
			problems = append(problems, where+": not executed")
		}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				problems = append(problems, fmt.Sprintf("%s: error %s: %s\n%s", where, o.EName, o.EValue, strings.Join(o.Traceback, "\n")))
			case "stream":
				s := multiline(o.Text)
				if o.Name == "stderr" {
					problems = append(problems, fmt.Sprintf("%s: wrote to stderr:\n%s", where, s))
				}
				text.WriteString(s)
			case "display_data", "execute_result", "update_display_data":
				if _, ok := o.Data["image/png"]; ok {
					images++
				}
				for mime, raw := range o.Data {
					if !strings.HasPrefix(mime, "text/") {
						continue
					}
					s := multiline(raw)
					if mime == "text/html" && (strings.Contains(s, "data:image/png;base64,") || strings.Contains(s, "<svg")) {
						images++
					}
					text.WriteString(s)
					text.WriteByte('\n')
				}
			}
		}
	}
	if code == 0 {
		problems = append(problems, "no code cells")
	}
	out := text.String()
	for _, want := range exp.Contains {
		if !strings.Contains(out, want) {
			problems = append(problems, fmt.Sprintf("output lacks %q", want))
		}
	}
	if images < exp.Images {
		problems = append(problems, fmt.Sprintf("%d images (PNG or inline SVG), want at least %d", images, exp.Images))
	}
	if exp.Reference != "" {
		ref, err := os.ReadFile(exp.Reference)
		if err != nil {
			problems = append(problems, err.Error())
		} else {
			problems = append(problems, checkReference(out, string(ref))...)
		}
	}
	return problems
}

// paramsRE finds the weight and bias the walkthrough prints:
// "learned weight w: 2.0010, learned bias b: 1.0419" (or in Japanese).
var paramsRE = regexp.MustCompile(`w: (-?[0-9]+\.[0-9]+), [^\n]*b: (-?[0-9]+\.[0-9]+)`)

// checkReference compares the walkthrough's printed numbers with PyTorch's
// reference output: "linear.weight tensor([[0.4801]])", "linear.bias …",
// ten "Epoch [k/100], Loss: …" lines, "w b" with all digits, then the reprs of
// X_train[:5] and y_train[:5].
func checkReference(out, ref string) []string {
	var problems []string
	lines := strings.Split(strings.TrimSpace(ref), "\n")
	var epochs []string
	var params []float64
	rest := -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "linear."):
			name, value, _ := strings.Cut(l, " ")
			if !lineHas(out, name, value) {
				problems = append(problems, fmt.Sprintf("no line with %s and its initial value %s", name, value))
			}
		case strings.HasPrefix(l, "Epoch ["):
			epochs = append(epochs, l)
		case params == nil && len(epochs) > 0:
			for _, f := range strings.Fields(l) {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					return append(problems, fmt.Sprintf("reference line %d: %v", i+1, err))
				}
				params = append(params, v)
			}
			rest = i + 1
		}
	}
	if len(epochs) == 0 || len(params) != 2 {
		return append(problems, "reference output has no epoch lines or learned parameters")
	}
	// Epoch lines, in order.
	pos := 0
	for _, e := range epochs {
		k := strings.Index(out[pos:], e+"\n")
		if k < 0 {
			problems = append(problems, fmt.Sprintf("missing (or out of order) %q", e))
			continue
		}
		pos += k + len(e)
	}
	// Learned parameters to 4 decimals: the last "w: …, … b: …" line (an
	// earlier one states the true values).
	var m []string
	if all := paramsRE.FindAllStringSubmatch(out, -1); len(all) > 0 {
		m = all[len(all)-1]
	}
	if m == nil {
		problems = append(problems, "no learned weight and bias (\"w: …, … b: …\") in the output")
	} else {
		for j, name := range []string{"weight", "bias"} {
			want := fmt.Sprintf("%.4f", params[j])
			if m[j+1] != want {
				problems = append(problems, fmt.Sprintf("learned %s %s, PyTorch %s", name, m[j+1], want))
			}
			if v, _ := strconv.ParseFloat(m[j+1], 64); math.Abs(v-params[j]) > 5e-5 {
				problems = append(problems, fmt.Sprintf("learned %s %v is not PyTorch's %v to 4 decimals", name, v, params[j]))
			}
		}
	}
	// The reprs of the first rows (each a multi-line tensor(...) block).
	if rest > 0 {
		var block []string
		for _, l := range lines[rest:] {
			block = append(block, l)
			if strings.HasSuffix(l, "])") {
				if b := strings.Join(block, "\n"); !strings.Contains(out, b) {
					problems = append(problems, fmt.Sprintf("missing the tensor PyTorch prints as\n%s", b))
				}
				block = nil
			}
		}
	}
	return problems
}

// lineHas reports whether one line of out contains every part.
func lineHas(out string, parts ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// run checks every notebook of the spec in dir and reports problems.
func run(specPath, dir string) (problems []string, err error) {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	var spec map[string]Expect
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", specPath, err)
	}
	names := make([]string, 0, len(spec))
	for name := range spec {
		names = append(names, name)
	}
	sort.Strings(names)
	found, _ := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	for _, f := range found {
		if _, ok := spec[filepath.Base(f)]; !ok {
			problems = append(problems, fmt.Sprintf("%s: not in %s (add its expectations)", filepath.Base(f), specPath))
		}
	}
	for _, name := range names {
		nb, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: not executed: %v", name, err))
			continue
		}
		for _, p := range Check(nb, spec[name]) {
			problems = append(problems, name+": "+p)
		}
	}
	return problems, nil
}

func main() {
	spec := flag.String("spec", "notebooks/testdata/expect.json", "expectations of each notebook")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: nbcheck -spec SPEC DIR")
		os.Exit(2)
	}
	problems, err := run(*spec, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "nbcheck:", err)
		os.Exit(1)
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, "nbcheck:", p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	fmt.Println("nbcheck: every notebook ran cleanly and shows what it should")
}
