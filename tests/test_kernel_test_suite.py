"""jupyter_kernel_test's protocol conformance suite, run against minikernel.

KernelTests and IopubWelcomeTests are unittest classes: they cannot take pytest fixtures as
arguments, and they start their kernel in setUpClass. `usefixtures("jupyter_env")` makes
pytest set up the session fixture (which writes the "minikernel-test" kernelspec into a temp
JUPYTER_PATH) before the class fixture that calls setUpClass.

Every sample is filled in: test_pager runs `zip?` (help as a pager payload, issue 5).
"""

from __future__ import annotations

import jupyter_kernel_test as jkt  # not `from ... import KernelTests`: pytest would collect
import pytest                      # the base classes too and run them against "python3"

from conftest import KERNEL_NAME

HTML_OBJECT = "class H:\n    def _repr_html_(self):\n        return '<b>hi</b>'\n"


@pytest.mark.usefixtures("jupyter_env")
class MiniKernelTests(jkt.KernelTests):
    kernel_name = KERNEL_NAME

    language_name = "python"
    file_extension = ".py"

    code_hello_world = "print('hello, world')"
    code_stderr = "import sys; print('oops', file=sys.stderr)"

    completion_samples = [
        {"text": "zi", "matches": {"zip"}},
        {"text": "isinst", "matches": {"isinstance"}},
        {"text": "str.upp", "matches": {"upper"}},
    ]

    complete_code_samples = ["1", "print('hello, world')", "def f(x):\n    return x\n\n", "x = [1,\n2]"]
    incomplete_code_samples = ["print('''hello", "def f(x):", "for i in range(3):\n    pass", "x = [1,"]
    invalid_code_samples = ["a = = 1", "1 +* 2", "import = 7q"]

    code_generate_error = "raise ValueError('boom')"

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'a' + 'b'", "result": "'ab'"},
        {"code": "x = 3\nx ** 2", "result": "9"},
        {"code": "[1, 2, 3]", "result": "[1, 2, 3]"},
        {"code": HTML_OBJECT + "H()", "mime": "text/html", "result": "<b>hi</b>"},
    ]

    code_display_data = [
        {"code": "display({'text/plain': 'x'}, raw=True)", "mime": "text/plain"},
        {"code": HTML_OBJECT + "display(H())", "mime": "text/html"},
    ]

    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "zip"

    code_page_something = "zip?"  # help: a pager payload (engine/magics/help.py)
    code_clear_output = "from minikernel.display import clear_output; clear_output()"

    def test_runs_against_minikernel(self) -> None:
        """The suite talks to minikernel, not to some other kernel found on the path."""
        self.flush_channels()
        msg_id = self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=jkt.TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["implementation"], "minikernel")
        self.assertEqual(self.km.kernel_name, KERNEL_NAME)
        self.assertIn("minikernel", self.km.kernel_spec.argv)

    def test_is_complete_hanging_indent(self) -> None:
        """A continuation line inside brackets is not a block: the statement is complete
        (IPython's check_complete says "complete" for these too)."""
        for sample in ("x = [1,\n 2]", "result = max(1,\n             2)"):
            with self.subTest(code=sample):
                self.check_is_complete(sample, "complete")


@pytest.mark.usefixtures("jupyter_env")
@pytest.mark.timeout(60)  # test_recv_iopub_welcome_msg waits on iopub without a timeout
class MiniKernelIopubWelcomeTests(jkt.IopubWelcomeTests):
    kernel_name = KERNEL_NAME
    support_iopub_welcome = True
