package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"

	"github.com/chzyer/readline"
	"github.com/gotensor/gt/repl"
)

const (
	prompt     = ">>> "
	contPrompt = "... "
)

// completer adapts Session.Complete to readline.
type completer struct{ s *repl.Session }

// Do returns the suffixes completing the word before pos.
func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	text := string(line[:pos])
	cands, start := c.s.Complete(text, len(text))
	typed := []rune(text[start:])
	out := make([][]rune, 0, len(cands))
	for _, cand := range cands {
		r := []rune(cand)
		if len(r) >= len(typed) {
			out = append(out, r[len(typed):])
		}
	}
	return out, len(typed)
}

// interactive runs the prompt on the terminal.
func interactive(histPath string, stdout, stderr io.Writer) int {
	var rl *readline.Instance
	var rlMu sync.Mutex
	readLine := func(p string) (string, error) {
		rlMu.Lock()
		defer rlMu.Unlock()
		rl.SetPrompt(p)
		defer rl.SetPrompt(prompt)
		return rl.Readline()
	}
	s, err := repl.New(repl.Options{Stdout: stdout, Stderr: stderr, Stdin: os.Stdin, ReadLine: readLine,
		Width: func() int { return readline.GetScreenWidth() }})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	rl, err = readline.NewEx(&readline.Config{
		Prompt:                 prompt,
		AutoComplete:           completer{s},
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		DisableAutoSaveHistory: true,
		HistoryLimit:           maxHistory,
		Stdout:                 stdout,
		Stderr:                 stderr,
	})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer rl.Close()
	for _, h := range loadHistory(histPath) {
		_ = rl.SaveHistory(joinLines(h))
	}
	out := &display{w: stdout, errw: stderr, width: readline.GetScreenWidth, images: terminalImages()}

	// Ctrl-C while an evaluation runs arrives as SIGINT (the terminal is
	// out of raw mode then): it cancels the evaluation.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt)
	defer signal.Stop(sigs)

	fmt.Fprintln(stdout, "gtrepl — Go tensors. :help for commands, Ctrl-D to leave.")
	var buf strings.Builder
	for {
		if buf.Len() == 0 {
			rl.SetPrompt(prompt)
		} else {
			rl.SetPrompt(contPrompt)
		}
		line, err := rl.Readline()
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			buf.Reset() // Ctrl-C while typing: drop the input
			continue
		case errors.Is(err, io.EOF):
			if buf.Len() > 0 {
				buf.Reset()
				continue
			}
			return 0
		case err != nil:
			fmt.Fprintln(stderr, err)
			return 1
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		src := buf.String()
		if !repl.IsComplete(src) {
			continue
		}
		buf.Reset()
		if strings.TrimSpace(src) == "" {
			continue
		}
		entry := strings.TrimRight(src, "\n")
		_ = rl.SaveHistory(joinLines(entry))
		if err := appendHistory(histPath, entry); err != nil {
			fmt.Fprintln(stderr, "history:", err)
			histPath = ""
		}
		if evalInteractive(s, src, out, sigs) == exitQuit {
			return 0
		}
	}
}

// evalInteractive evaluates one input, cancelling it on SIGINT.
func evalInteractive(s *repl.Session, src string, out *display, sigs chan os.Signal) int {
	for len(sigs) > 0 {
		<-sigs // a stale Ctrl-C
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
		}
	}()
	code := out.evalAndShow(s, src, ctx)
	close(done)
	cancel()
	return code
}
