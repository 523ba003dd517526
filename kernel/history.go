package kernel

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode/utf8"
)

// History: the inputs of this kernel's cells (those run with
// store_history), answered to history_request as tail, range or search.
// Entries are (session, line, input) or (session, line, [input, output])
// with session 1, this kernel's only one, and line the execution count.

// histEntry is one stored cell.
type histEntry struct {
	line   int
	input  string
	output string // text/plain of the cell's result
}

// historySession is the session number the kernel reports.
const historySession = 1

// maxHistory bounds the stored inputs.
const maxHistory = 10000

func (k *Kernel) addHistory(line int, input, output string) {
	k.runMu.Lock()
	defer k.runMu.Unlock()
	k.history = append(k.history, histEntry{line: line, input: input, output: output})
	if len(k.history) > maxHistory {
		k.history = append([]histEntry(nil), k.history[len(k.history)-maxHistory:]...)
	}
}

type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           *int   `json:"stop"`
	N              *int   `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// historyRequest answers history_request.
func (k *Kernel) historyRequest(m *message) {
	var req historyRequest
	if err := json.Unmarshal(m.content, &req); err != nil {
		k.reply(k.shell, &k.shellMu, m, "history_reply", map[string]any{"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{}})
		return
	}
	k.runMu.Lock()
	hist := append([]histEntry(nil), k.history...)
	k.runMu.Unlock()
	sel := selectHistory(hist, req)
	out := make([]any, 0, len(sel))
	for _, e := range sel {
		if req.Output {
			out = append(out, []any{historySession, e.line, []any{e.input, e.output}})
		} else {
			out = append(out, []any{historySession, e.line, e.input})
		}
	}
	k.reply(k.shell, &k.shellMu, m, "history_reply", map[string]any{"status": "ok", "history": out})
}

// selectHistory picks the entries a request asks for.
func selectHistory(hist []histEntry, req historyRequest) []histEntry {
	last := func(es []histEntry) []histEntry {
		if req.N != nil && *req.N >= 0 && len(es) > *req.N {
			return es[len(es)-*req.N:]
		}
		return es
	}
	switch req.HistAccessType {
	case "tail":
		return last(hist)
	case "range":
		// Sessions: this one is 1; 0 and negative numbers count back from
		// the current session, which is also this one.
		if req.Session > 0 && req.Session != historySession {
			return nil
		}
		var out []histEntry
		for _, e := range hist {
			if e.line >= req.Start && (req.Stop == nil || e.line < *req.Stop) {
				out = append(out, e)
			}
		}
		return out
	case "search":
		re := globRegexp(req.Pattern)
		var out []histEntry
		seen := map[string]bool{}
		for i := len(hist) - 1; i >= 0; i-- {
			e := hist[i]
			if !re.MatchString(e.input) {
				continue
			}
			if req.Unique {
				if seen[e.input] {
					continue
				}
				seen[e.input] = true
			}
			out = append(out, e)
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return last(out)
	}
	return nil
}

// globRegexp compiles a glob (IPython's history search: * any text, ?
// one character, [...] a class) matching whole inputs.
func globRegexp(glob string) *regexp.Regexp {
	if glob == "" {
		glob = "*"
	}
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(glob[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			r, size := utf8.DecodeRuneInString(glob[i:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += size - 1
		}
	}
	b.WriteString(`\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile(`\A` + regexp.QuoteMeta(glob) + `\z`)
	}
	return re
}
