package kernel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/gotensor/gt/kernel"
)

// The kernelspec that `gtrepl jupyter install` writes.
func ExampleSpec() {
	spec, _ := json.MarshalIndent(kernel.Spec("/usr/local/bin/gtrepl", ""), "", "  ")
	fmt.Println(string(spec))
	// Output:
	// {
	//   "argv": [
	//     "/usr/local/bin/gtrepl",
	//     "jupyter",
	//     "kernel",
	//     "-f",
	//     "{connection_file}"
	//   ],
	//   "display_name": "Go tensors (gt)",
	//   "language": "go",
	//   "interrupt_mode": "message",
	//   "metadata": {
	//     "debugger": false
	//   }
	// }
}

// Running a kernel for a connection file, as `gtrepl jupyter kernel -f`
// does.
func ExampleNew() {
	run := func(connectionFile string) error {
		conn, err := kernel.ReadConnectionFile(connectionFile)
		if err != nil {
			return err
		}
		k, err := kernel.New(conn, kernel.Options{CaptureProcessOutput: true})
		if err != nil {
			return err
		}
		_, err = k.Run(context.Background()) // until shutdown_request
		return err
	}
	if err := run("/path/to/kernel-1234.json"); err != nil {
		log.Print(err)
	}
}
