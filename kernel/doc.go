// Package kernel is gt's Jupyter kernel: the Jupyter messaging protocol 5.3
// over ZeroMQ (pure Go, github.com/go-zeromq/zmq4) driving a repl.Session
// that lives as long as the kernel, so values survive from cell to cell and a
// small cell answers in well under a millisecond of evaluation.
//
// The kernel binds the five sockets of a connection file (heartbeat, shell,
// control, iopub, stdin) and checks the HMAC-SHA256 signature of every
// message it receives: an unsigned, forged or replayed message is logged and
// dropped, never executed. Frames, messages and frame counts are bounded
// before anything is allocated, so a hostile peer cannot exhaust memory, and
// malformed messages (bad JSON, missing parts) are logged and ignored.
//
// A cell is Go for the repl engine (declarations and statements; the value
// of a final expression becomes the execute_result, tensors with text/plain
// and text/html), plus lines that start in the first column with
//
//	%NAME args or :NAME args  a command of the REPL's table (%vars, %time,
//	                          %graph, %plot, %reset, %load, %doc, …);
//	                          %step renders a backward pass as HTML steps,
//	                          %clear clears the cell's output
//	%%                        GoNB's separator: ignored, the statements that
//	                          follow run like the others
//	%%time                    (first line) times the whole cell
//	!command                  a shell command, its output streamed
//
// so simple GoNB notebooks run unchanged. viz.Display, viz.NewLiveLoss and
// the other GoNB-aware helpers of package viz produce display_data and
// update_display_data messages: the kernel serves them GoNB's display
// protocol in-process. fmt.Scan and friends, and the :step sub-prompt, read
// from the notebook through input requests when the front end allows stdin.
// interrupt_request (or SIGINT) stops a running cell as Ctrl-C does in
// gtrepl, keeping every variable.
//
// The command `gtrepl jupyter install` registers the kernel ("Go tensors
// (gt)") and `gtrepl jupyter kernel -f CONNECTION_FILE` runs it.
package kernel
