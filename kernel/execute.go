package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gotensor/gt/repl"
	"github.com/gotensor/gt/viz"
)

// executeRequest is the content of an execute_request.
type executeRequest struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    *bool             `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      bool              `json:"allow_stdin"`
	StopOnError     *bool             `json:"stop_on_error"`
}

// execute runs a cell and answers its execute_request.
func (k *Kernel) execute(m *message) {
	var req executeRequest
	if err := json.Unmarshal(m.content, &req); err != nil {
		k.log.Printf("execute_request: bad content: %v", err)
		k.reply(k.shell, &k.shellMu, m, "execute_reply", errorReply(k.count, "BadRequest", err.Error(), nil))
		return
	}
	store := !req.Silent && (req.StoreHistory == nil || *req.StoreHistory)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run := &cellRun{parent: m.rawHeader, identities: m.identities, allowStdin: req.AllowStdin, ctx: ctx, cancel: cancel}
	k.runMu.Lock()
	if store {
		k.count++
	}
	count := k.count
	k.run, k.lastParent = run, m.rawHeader
	k.runMu.Unlock()
	if !req.Silent {
		k.publish("execute_input", m.rawHeader, map[string]any{"code": req.Code, "execution_count": count})
	}

	res, err := k.runCell(ctx, req.Code)
	k.flushOutput()
	k.runMu.Lock()
	k.run = nil
	k.runMu.Unlock()

	output := ""
	if err != nil {
		ename, evalue, tb := errorParts(err, req.Code)
		if !req.Silent {
			k.publish("error", m.rawHeader, map[string]any{"ename": ename, "evalue": evalue, "traceback": tb})
		}
		k.reply(k.shell, &k.shellMu, m, "execute_reply", errorReply(count, ename, evalue, tb))
		if req.StopOnError == nil || *req.StopOnError {
			k.abortQueued()
		}
	} else {
		if !res.Empty() && !req.Silent {
			k.publish("execute_result", m.rawHeader, map[string]any{
				"execution_count": count, "data": mimeData(res.Bundle), "metadata": map[string]any{}})
			output = res.Text()
		}
		k.reply(k.shell, &k.shellMu, m, "execute_reply", map[string]any{
			"status": "ok", "execution_count": count, "payload": []any{},
			"user_expressions": k.userExpressions(ctx, req.UserExpressions)})
	}
	if store {
		k.addHistory(count, req.Code, output)
	}
}

// errorReply is the content of a failed execute_reply.
func errorReply(count int, ename, evalue string, tb []string) map[string]any {
	if tb == nil {
		tb = []string{}
	}
	return map[string]any{"status": "error", "execution_count": count, "ename": ename, "evalue": evalue,
		"traceback": tb, "payload": []any{}, "user_expressions": map[string]any{}}
}

// abortQueued answers the execute requests already queued behind a failed
// cell with status "aborted", as ipykernel does (stop_on_error); other
// requests are handled normally.
func (k *Kernel) abortQueued() {
	for {
		select {
		case m := <-k.shellQ:
			if m.header.MsgType != "execute_request" {
				k.handleShell(m)
				continue
			}
			k.publish("status", m.rawHeader, map[string]any{"execution_state": "busy"})
			k.reply(k.shell, &k.shellMu, m, "execute_reply", map[string]any{"status": "aborted", "execution_count": k.count})
			k.publish("status", m.rawHeader, map[string]any{"execution_state": "idle"})
		default:
			return
		}
	}
}

// userExpressions evaluates the expressions a front end asked for.
func (k *Kernel) userExpressions(ctx context.Context, exprs map[string]string) map[string]any {
	out := map[string]any{}
	for name, expr := range exprs {
		vals, err := k.sess.Values(ctx, expr)
		if err != nil {
			ename, evalue, tb := errorParts(err, expr)
			out[name] = map[string]any{"status": "error", "ename": ename, "evalue": evalue, "traceback": tb}
			continue
		}
		var b viz.MIME
		if len(vals) == 1 {
			b = viz.Bundle(vals[0])
		} else {
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = viz.Text(v)
			}
			b = viz.MIME{viz.MIMEText: []byte(strings.Join(parts, "\n"))}
		}
		out[name] = map[string]any{"status": "ok", "data": mimeData(b), "metadata": map[string]any{}}
	}
	return out
}

// runCell evaluates the parts of a cell in order. The result of the last
// part is the cell's result; results of earlier parts are displayed as they
// come.
func (k *Kernel) runCell(ctx context.Context, code string) (repl.Result, error) {
	c, err := splitCell(code)
	if err != nil {
		return repl.Result{}, &repl.Error{Kind: repl.SyntaxError, Msg: err.Error()}
	}
	start := time.Now()
	var res repl.Result
	for i, p := range c.parts {
		res, err = k.runPart(ctx, p)
		if err != nil {
			break
		}
		if i < len(c.parts)-1 && !res.Empty() {
			k.displayBundle(res.Bundle)
			res = repl.Result{}
		}
	}
	if c.cellMagic == "time" {
		fmt.Fprintf(k.procOut, "time: %s\n", roundDuration(time.Since(start)))
	}
	return res, err
}

// runPart evaluates one part of a cell.
func (k *Kernel) runPart(ctx context.Context, p part) (repl.Result, error) {
	switch p.kind {
	case magicPart:
		return k.magic(ctx, p.name, p.args)
	case shellPart:
		return repl.Result{}, k.shellCommand(ctx, p.args)
	}
	k.autoImport(ctx, p.src)
	if declaresMain(p.src) {
		return k.sess.Load(ctx, p.src)
	}
	res, err := k.sess.Eval(ctx, p.src)
	if errors.Is(err, repl.ErrQuit) {
		return quitResult(), nil
	}
	return res, err
}

// errorParts formats an error as Jupyter's ename, evalue and traceback: the
// message, and for an error located in the cell the line with a caret.
func errorParts(err error, code string) (ename, evalue string, tb []string) {
	var e *repl.Error
	if !errors.As(err, &e) {
		msg := err.Error()
		return "Error", msg, []string{red(msg)}
	}
	switch e.Kind {
	case repl.SyntaxError:
		ename = "SyntaxError"
	case repl.CompileError:
		ename = "CompileError"
	case repl.PanicError:
		ename = "Panic"
	case repl.Interrupted:
		return "Interrupted", "interrupted (the session's variables are kept)",
			[]string{red("Interrupted: the cell was stopped; the session's variables are kept")}
	default:
		ename = "CommandError"
	}
	evalue = e.Msg
	tb = []string{red(ename + ": " + e.Error())}
	if e.Line > 0 {
		lines := strings.Split(code, "\n")
		if e.Line <= len(lines) {
			src := strings.ReplaceAll(lines[e.Line-1], "\t", "    ")
			tb = append(tb, fmt.Sprintf("%4d | %s", e.Line, src))
			if e.Col > 0 {
				col := caretColumn(lines[e.Line-1], e.Col)
				tb = append(tb, "     | "+strings.Repeat(" ", col)+red("^"))
			}
		}
	}
	return ename, evalue, tb
}

// caretColumn converts a 1-based byte column of line to the display column
// of the caret (tabs shown as four spaces).
func caretColumn(line string, col int) int {
	n := 0
	for i, r := range line {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			n += 4
		} else {
			n++
		}
	}
	return n
}

// red wraps s in the ANSI codes for red, as tracebacks are shown.
func red(s string) string { return "\x1b[0;31m" + s + "\x1b[0m" }

// roundDuration rounds a duration for display, as the REPL's :time does.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d
}
