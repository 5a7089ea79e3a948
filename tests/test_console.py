"""`jupyter console --kernel minikernel-test` in a pseudo-terminal, driven with pexpect.

The full prompt_toolkit interface is used, not `simple_prompt`: the simple prompt reads one
line per cell and never asks the kernel whether the code is complete, so it cannot show the
multi-line path (is_complete_request -> "...:" continuation prompt). Its output is full of
ANSI colour and cursor codes, so expected text is matched with escape sequences allowed
between any two characters.

A first cell typed right after start-up used to lose its output: jupyter console (6.6) only
waits for kernel_info_reply, not for its iopub SUB to connect. The kernel now holds shell
requests until the first iopub subscription (Kernel.iopub_wait); `first_cell` would turn a
regression into an explicit failure instead of a hang.
"""

from __future__ import annotations

import os
import re
import select
import sys

import pexpect
import pytest

from conftest import KERNEL_NAME

JUPYTER_CONSOLE = os.path.join(os.path.dirname(sys.executable), "jupyter-console")
TIMEOUT = 30  # startup
CELL_TIMEOUT = 15  # everything after the first prompt
ESC = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"  # any run of CSI escape sequences

pytestmark = pytest.mark.usefixtures("jupyter_env")


def loose(text: str) -> str:
    """A regex for `text` as a terminal shows it: escape codes may sit between characters."""
    return ESC.join(re.escape(ch) for ch in text)


class Console:
    def __init__(self):
        env = dict(os.environ)  # JUPYTER_PATH etc. from the session fixture
        env.pop("JUPYTER_CONSOLE_TEST", None)  # it would force the simple prompt
        env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")  # no cursor-position queries
        self.child = pexpect.spawn(JUPYTER_CONSOLE, ["--kernel", KERNEL_NAME], env=env,
                                   dimensions=(40, 200), encoding="utf-8", timeout=TIMEOUT)

    def expect(self, text: str, timeout: float = CELL_TIMEOUT) -> str:
        """Wait for `text`; return everything printed since the previous match."""
        self.child.expect(loose(text), timeout=timeout)
        return self.child.before

    def expect_re(self, pattern, timeout: float = CELL_TIMEOUT) -> re.Match:
        self.child.expect(pattern, timeout=timeout)
        return self.child.match

    def type(self, line: str) -> None:
        self.child.send(line + "\r")

    def first_cell(self, line: str, prompt: str = "In [2]: ") -> str:
        """Type the first cell and wait for the next prompt."""
        self.expect("In [1]: ", timeout=TIMEOUT)
        self.type(line)
        try:
            return self.expect(prompt)
        except pexpect.TIMEOUT:
            pytest.fail(f"jupyter console never finished its first cell {line!r}: it is still waiting "
                        "for the cell's 'idle' status on iopub (see the module docstring)")

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)  # the kernel notices its parent is gone and exits
        self.child.close()


@pytest.fixture
def console():
    con = Console()
    try:
        yield con
    finally:
        con.close()


def wait_for_exit(pid: int, timeout: float = 10) -> bool:
    """Wait until process `pid` (not our child) has exited. The console only *sends*
    shutdown_request as it leaves; the kernel exits a moment later."""
    try:
        fd = os.pidfd_open(pid)  # readable once the process has terminated
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


def test_console_session(console):
    console.expect("minikernel", timeout=TIMEOUT)  # the banner from kernel_info_reply
    shown = console.first_cell("import os; x = 5")  # a statement: no Out[1]
    assert "Out" not in shown

    console.type("x * 2")
    console.expect("Out[2]: 10")
    console.expect("In [3]: ")

    # Multi-line: the kernel says "incomplete" (and the indent) until the blank line.
    console.type("for i in range(3):")
    console.expect("...: ")
    console.type("print('item', i)")  # the console already indented the line
    console.expect("...: ")
    console.type("")
    output = console.expect("In [4]: ")
    assert re.sub(ESC, "", output).replace("\r", "").endswith("item 0\nitem 1\nitem 2\n\n")

    console.type("1 / 0")
    console.expect("ZeroDivisionError")
    console.expect("Cell In[4], line 1")
    console.expect("ZeroDivisionError: division by zero")
    console.expect("In [5]: ")

    console.type("os.getpid()")
    kernel_pid = int(console.expect_re(loose("Out[5]: ") + ESC + r"(\d+)").group(1))
    console.expect("In [6]: ")

    console.child.sendeof()  # Ctrl-D
    console.expect("Do you really want to exit ([y]/n)?")
    console.type("y")
    console.expect_re(pexpect.EOF)
    console.child.close()
    assert console.child.exitstatus == 0
    assert wait_for_exit(kernel_pid)  # the console shut its kernel down


def test_console_exit_command(console):
    shown = console.first_cell("import os; os.getpid()")
    kernel_pid = int(re.search(loose("Out[1]: ") + ESC + r"(\d+)", shown).group(1))
    console.type("exit")
    console.expect_re(pexpect.EOF)
    console.child.close()
    assert console.child.exitstatus == 0
    assert wait_for_exit(kernel_pid)


def test_console_tab_input_and_ctrl_c(console):
    console.first_cell("import os")
    console.child.send("os.pa")
    console.child.send("\t")  # Tab: the kernel's completions pop up
    console.expect("pardir")
    console.child.send("\x1b")  # close the menu
    console.child.send("\x15")  # Ctrl-U: clear the line
    console.type("answer = input('your name? ')")
    console.expect("your name? ")
    console.type("Grace")
    console.expect("In [3]: ")
    console.type("answer")
    console.expect("Out[3]: 'Grace'")
    console.expect("In [4]: ")
    console.type("import time; print('sleeping', flush=True); time.sleep(60)")
    console.expect("sleeping")
    console.child.send("\x03")  # Ctrl-C: jupyter console interrupts the kernel
    console.expect("KeyboardInterrupt")
    console.expect("In [5]: ")
    console.type("'still here'")
    console.expect("Out[5]: 'still here'")
