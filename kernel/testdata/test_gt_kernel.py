"""Jupyter's conformance tests (jupyter_kernel_test) against the gt kernel.

Run by tools/jupyter/gt-kernel.sh (make kernel-test, part of make test) with
the kernel registered as "gt" in a private Jupyter data directory:

    cd kernel/testdata && JUPYTER_DATA_DIR=../../bin/jupyter /usr/bin/python3 -m unittest -v test_gt_kernel
"""

import time
import unittest

import jupyter_kernel_test as jkt

# Generous timeouts for a loaded machine (the module's TIMEOUT is read by
# some tests at run time; execute_helper's default is overridden below).
TIMEOUT = 60
jkt.TIMEOUT = TIMEOUT


class GtKernelTests(jkt.KernelTests):
    kernel_name = "gt"
    language_name = "go"
    file_extension = ".go"

    def execute_helper(self, code, timeout=TIMEOUT, **kwargs):
        return super().execute_helper(code, timeout=timeout, **kwargs)

    code_hello_world = 'fmt.Println("hello, world")'
    # os is imported on use, as goimports does for GoNB's cells.
    code_stderr = 'fmt.Fprintln(os.Stderr, "to stderr")'

    completion_samples = [
        {"text": "tl.Zer", "matches": {"Zeros", "ZerosLike"}},
        {"text": "math.Log1", "matches": {"Log10", "Log10E", "Log1p"}},
        {"text": "%va", "matches": {"vars"}},
    ]

    complete_code_samples = [
        "x := 1",
        'fmt.Println("hi")',
        "func f() int { return 1 }",
        "%vars",
        "!echo hi",
        "import \"strings\"\n%%\nfmt.Println(strings.ToUpper(\"a\"))",
    ]
    incomplete_code_samples = [
        "func f() {",
        "x := []int{1,",
        "for i := 0; i < 3; i++ {\n\tfmt.Println(i)",
        "y := 1 +",
    ]
    invalid_code_samples = ["x := )", "for {}}", "x := := 1"]

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "six := 6\nsix * 7", "result": "42"},
        {"code": "tl.Ones(2)", "result": "tensor([1., 1.])"},
        {"code": "tl.Ones(2)", "mime": "text/html"},
        {"code": "viz.LinePlot([]float64{1, 3, 2})", "mime": "image/png"},
    ]

    code_display_data = [
        {"code": "viz.Display(tl.Ones(2, 2))", "mime": "text/html"},
        {"code": 'viz.DisplayHTML("<b>bold</b>")', "mime": "text/html"},
        {"code": "viz.Display(viz.LinePlot([]float64{1, 3, 2}))", "mime": "image/png"},
    ]

    # Matches "1 + 2" only: the unique search must find one input.
    code_history_pattern = "1 + ?"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "tl.Zeros"

    code_clear_output = "fmt.Println(1)\n%clear"

    # Beyond the conformance suite: state across cells, and an interrupt
    # (interrupt_mode "message") that keeps the session's variables.

    def test_state_and_interrupt(self):
        self.flush_channels()
        reply, _ = self.execute_helper("kept := 7")
        self.assertEqual(reply["content"]["status"], "ok")
        msg_id = self.kc.execute("for {\n}")
        time.sleep(0.5)
        self.km.interrupt_kernel()
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.flush_channels()
        reply, outputs = self.execute_helper("kept")
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "7")


if __name__ == "__main__":
    unittest.main()
