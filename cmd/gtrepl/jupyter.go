package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gotensor/gt/kernel"
)

// jupyterUsage documents the jupyter subcommands.
const jupyterUsage = `usage:
  gtrepl jupyter install [-data-dir DIR | -prefix DIR] [-name NAME] [-display-name NAME]
        register the gt kernel ("Go tensors (gt)") with Jupyter, running this binary
  gtrepl jupyter kernel -f CONNECTION_FILE
        run the kernel (Jupyter starts it so)`

// jupyterMain runs "gtrepl jupyter …" and returns the exit status.
func jupyterMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, jupyterUsage)
		return 2
	}
	switch args[0] {
	case "install":
		return jupyterInstall(args[1:], stdout, stderr)
	case "kernel":
		return jupyterKernel(args[1:], stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, jupyterUsage)
		return 0
	}
	fmt.Fprintf(stderr, "gtrepl jupyter: unknown subcommand %q\n%s\n", args[0], jupyterUsage)
	return 2
}

func jupyterInstall(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtrepl jupyter install", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts kernel.InstallOptions
	fs.StringVar(&opts.DataDir, "data-dir", "", "Jupyter data `DIR` (default: JUPYTER_DATA_DIR or the user's)")
	fs.StringVar(&opts.Prefix, "prefix", "", "install into `DIR`/share/jupyter")
	fs.StringVar(&opts.Name, "name", kernel.DefaultName, "kernel `NAME`")
	fs.StringVar(&opts.DisplayName, "display-name", kernel.DefaultDisplayName, "`NAME` shown in Jupyter's menus")
	fs.StringVar(&opts.Binary, "binary", "", "gtrepl `PATH` the kernelspec runs (default: this executable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if opts.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(stderr, "gtrepl jupyter install:", err)
			return 1
		}
		opts.Binary = exe
	}
	dir, err := kernel.Install(opts)
	if err != nil {
		fmt.Fprintln(stderr, "gtrepl jupyter install:", err)
		return 1
	}
	fmt.Fprintf(stdout, "installed kernelspec %s in %s\n", opts.Name, dir)
	return 0
}

func jupyterKernel(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("gtrepl jupyter kernel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connFile := fs.String("f", "", "Jupyter connection `FILE`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *connFile == "" {
		fmt.Fprintln(stderr, "gtrepl jupyter kernel: -f CONNECTION_FILE is required")
		return 2
	}
	conn, err := kernel.ReadConnectionFile(*connFile)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	k, err := kernel.New(conn, kernel.Options{Log: stderr, CaptureProcessOutput: true})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	// SIGINT interrupts the running cell (interrupt_mode "signal"
	// front ends); SIGTERM and SIGHUP stop the kernel.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			if s == os.Interrupt {
				k.Interrupt()
				continue
			}
			cancel()
			return
		}
	}()
	if _, err := k.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
