package kernel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gotensor/gt/repl"
	tl "github.com/gotensor/gt/tensorlib"
	"github.com/gotensor/gt/viz"
)

// Magics are the REPL's commands (repl.Commands: %vars, %time, %graph,
// %plot, %reset, %load, %doc, %type, %save, …, also spelled :NAME) plus a
// few that only make sense in a notebook.

// kernelMagic is a magic implemented by the kernel.
type kernelMagic struct {
	name, args, help string
	run              func(k *Kernel, ctx context.Context, args string) (repl.Result, error)
}

// kernelMagics returns the notebook-only magics (and overrides of REPL
// commands), sorted by name.
func kernelMagics() []kernelMagic {
	return []kernelMagic{
		{"cd", "DIR", "change the working directory (as GoNB's %cd)", (*Kernel).magicCd},
		{"clear", "", "clear the cell's output so far", func(k *Kernel, _ context.Context, _ string) (repl.Result, error) {
			k.clearOutput(false)
			return repl.Result{}, nil
		}},
		{"env", "NAME=VALUE", "set an environment variable (as GoNB's %env)", (*Kernel).magicEnv},
		{"help", "", "list the magics", (*Kernel).magicHelp},
		{"step", "EXPR", "run the backward pass of a scalar tensor, showing each step as HTML", (*Kernel).magicStep},
	}
}

// magicNames returns every magic name, sorted.
func magicNames() []string {
	set := map[string]bool{}
	for _, c := range repl.Commands() {
		set[c.Name] = true
	}
	for _, m := range kernelMagics() {
		set[m.name] = true
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// magic runs %name args.
func (k *Kernel) magic(ctx context.Context, name, args string) (repl.Result, error) {
	for _, m := range kernelMagics() {
		if m.name == name {
			if m.args != "" && args == "" {
				return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: fmt.Sprintf("usage: %%%s %s", m.name, m.args)}
			}
			return m.run(k, ctx, args)
		}
	}
	c, ok := repl.LookupCommand(name)
	if !ok || name == "" {
		return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: fmt.Sprintf("unknown magic %%%s (%%help lists them)", name)}
	}
	res, err := k.sess.Eval(ctx, strings.TrimSpace(":"+c.Name+" "+args))
	if errors.Is(err, repl.ErrQuit) {
		return quitResult(), nil
	}
	return res, err
}

// quitResult is what %quit shows: a notebook's kernel is stopped from the
// front end.
func quitResult() repl.Result {
	return repl.Result{Bundle: viz.MIME{viz.MIMEText: []byte("the kernel keeps running: shut it down from the notebook (Kernel menu)")}}
}

func (k *Kernel) magicHelp(ctx context.Context, _ string) (repl.Result, error) {
	var b strings.Builder
	b.WriteString("gt kernel: Go evaluated by gt's REPL engine; values persist between cells.\n")
	b.WriteString("The value of a cell's last expression is shown (tensors as tables).\n\n")
	b.WriteString("Magics (%NAME or :NAME at the start of a line):\n")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	seen := map[string]bool{}
	for _, m := range kernelMagics() {
		seen[m.name] = true
	}
	type row struct{ name, args, help string }
	var rows []row
	for _, c := range repl.Commands() {
		if !seen[c.Name] && c.Name != "quit" {
			rows = append(rows, row{c.Name, c.Args, c.Help})
		}
	}
	for _, m := range kernelMagics() {
		rows = append(rows, row{m.name, m.args, m.help})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	for _, r := range rows {
		fmt.Fprintf(w, "  %%%s %s\t%s\n", r.name, r.args, r.help)
	}
	w.Flush()
	b.WriteString("\n  %%time (first line)  time the whole cell\n")
	b.WriteString("  %%                   GoNB's separator between declarations and statements (ignored)\n")
	b.WriteString("  !COMMAND             run a shell command (a trailing \\ continues it)\n")
	b.WriteString("  NAME?                documentation of NAME (also Shift-Tab in the notebook)")
	return repl.Result{Bundle: viz.MIME{viz.MIMEText: []byte(b.String())}}, nil
}

func (k *Kernel) magicCd(_ context.Context, dir string) (repl.Result, error) {
	if strings.HasPrefix(dir, "~") {
		if home, err := os.UserHomeDir(); err == nil {
			dir = home + dir[1:]
		}
	}
	if err := os.Chdir(dir); err != nil {
		return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: err.Error()}
	}
	wd, _ := os.Getwd()
	fmt.Fprintln(k.procOut, wd)
	return repl.Result{}, nil
}

func (k *Kernel) magicEnv(_ context.Context, args string) (repl.Result, error) {
	name, value, ok := strings.Cut(args, "=")
	if !ok {
		name, value, _ = strings.Cut(args, " ")
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if name == "" {
		return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: "usage: %env NAME=VALUE"}
	}
	if err := os.Setenv(name, value); err != nil {
		return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: err.Error()}
	}
	fmt.Fprintf(k.procOut, "%s=%s\n", name, value)
	return repl.Result{}, nil
}

// maxStepViews bounds how many steps %step draws (each one is a drawing of
// the whole graph).
const maxStepViews = 40

// magicStep runs the backward pass of a scalar through a tl.Debugger and
// displays every step as HTML (the node, its gradients and the graph with
// the step highlighted). The gradients end up as Backward leaves them.
func (k *Kernel) magicStep(ctx context.Context, expr string) (repl.Result, error) {
	vals, err := k.sess.Values(ctx, expr)
	if err != nil {
		return repl.Result{}, err
	}
	var t *tl.Tensor
	if len(vals) == 1 {
		t, _ = vals[0].(*tl.Tensor)
	}
	if t == nil {
		typ := "nothing"
		if len(vals) == 1 && vals[0] != nil {
			typ = reflect.TypeOf(vals[0]).String()
		}
		return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: fmt.Sprintf("%%step wants a tensor; %s is %s", expr, typ)}
	}
	var d *tl.Debugger
	if err := tl.Catch(func() { d = tl.DebugBackward(t) }); err != nil {
		return repl.Result{}, &repl.Error{Kind: repl.CommandError, Msg: err.Error()}
	}
	opts := viz.GraphOptions{Names: k.sess.TensorNames()}
	n := 0
	for !d.Done() {
		if ctx.Err() != nil {
			return repl.Result{}, &repl.Error{Kind: repl.Interrupted, Msg: "interrupted"}
		}
		var st *tl.DebugStep
		if err := tl.Catch(func() { st = d.Step() }); err != nil {
			return repl.Result{}, &repl.Error{Kind: repl.PanicError, Msg: err.Error(), Value: err}
		}
		if st == nil {
			break
		}
		n++
		if n <= maxStepViews {
			k.displayBundle(viz.MIME{
				viz.MIMEText: []byte(viz.DebugStepText(st, opts)),
				viz.MIMEHTML: []byte(viz.DebugStepHTML(d, st, opts)),
			})
		}
	}
	msg := fmt.Sprintf("backward pass finished (%d nodes); the gradients are those Backward() gives", n)
	if n > maxStepViews {
		msg += fmt.Sprintf(" (the first %d steps are shown)", maxStepViews)
	}
	return repl.Result{Bundle: viz.MIME{viz.MIMEText: []byte(msg)}}, nil
}

// shellCommand runs a !command line with sh, its output streamed to the
// cell; a non-zero exit status is an error. An interrupt kills it (with
// the processes it started).
func (k *Kernel) shellCommand(ctx context.Context, command string) error {
	if command == "" {
		return nil
	}
	k.flushOutput()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdout, cmd.Stderr = k.procOut, k.procErr
	cmd.WaitDelay = 2 * time.Second
	setProcessGroup(cmd)
	err := cmd.Run()
	if ctx.Err() != nil {
		return &repl.Error{Kind: repl.Interrupted, Msg: "interrupted"}
	}
	if err != nil {
		return &repl.Error{Kind: repl.CommandError, Msg: fmt.Sprintf("!%s: %v", firstLine(command), err)}
	}
	return nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
