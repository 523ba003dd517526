// Command gtrepl is an interactive Go prompt for gt's tensors: type Go, see
// tensors printed as PyTorch prints them, train models, plot, and step
// through autograd, without writing main or waiting for a compiler.
//
// Usage:
//
//	gtrepl              interactive prompt (history in ~/.gtrepl_history)
//	gtrepl FILE.go      run a Go file (its main function, if any) and exit
//	gtrepl -e 'EXPR'    evaluate one input and exit
//	cmd | gtrepl        evaluate standard input, input by input
//	gtrepl jupyter …    register or run the Jupyter kernel (see package kernel)
//
// Inside, :help lists the commands. The engine is package repl.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chzyer/readline"
	"github.com/gotensor/gt/repl"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main with its streams, returning the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "jupyter" {
		return jupyterMain(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("gtrepl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	expr := fs.String("e", "", "evaluate `INPUT` and exit")
	histPath := fs.String("history", defaultHistoryPath(), "history `FILE` (empty: no history)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gtrepl [-e INPUT] [-history FILE] [FILE.go]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	out := &display{w: stdout, errw: stderr, width: func() int { return 80 }}
	opts := repl.Options{Stdout: stdout, Stderr: stderr, Stdin: stdin}
	switch {
	case *expr != "":
		s, err := repl.New(opts)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return out.evalAndShow(s, *expr, nil)
	case fs.NArg() > 0:
		s, err := repl.New(opts)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		src, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		res, err := s.Load(context.Background(), string(src))
		out.show(res)
		if err != nil {
			fmt.Fprintf(stderr, "%s:%s\n", fs.Arg(0), prefixPos(err))
			return 1
		}
		return 0
	}
	if f, ok := stdin.(*os.File); ok && readline.IsTerminal(int(f.Fd())) {
		return interactive(*histPath, stdout, stderr)
	}
	s, err := repl.New(opts)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return piped(s, stdin, out)
}

// prefixPos formats an error for "file:" prefixing: "3:5: msg" or " msg".
func prefixPos(err error) string {
	var e *repl.Error
	if errors.As(err, &e) && e.Line > 0 {
		return err.Error()
	}
	return " " + err.Error()
}

// piped evaluates standard input that is not a terminal: lines are
// gathered until the input is complete, then evaluated, as at the prompt.
// It keeps going after errors and returns 1 if any happened.
func piped(s *repl.Session, in io.Reader, out *display) int {
	status := 0
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	var buf strings.Builder
	flush := func() bool {
		src := buf.String()
		buf.Reset()
		if strings.TrimSpace(src) == "" {
			return true
		}
		code := out.evalAndShow(s, src, nil)
		if code == exitQuit {
			return false
		}
		if code != 0 {
			status = 1
		}
		return true
	}
	for sc.Scan() {
		buf.WriteString(sc.Text())
		buf.WriteByte('\n')
		if repl.IsComplete(buf.String()) && !flush() {
			return status
		}
	}
	flush()
	return status
}
