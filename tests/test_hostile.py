"""Hostile or careless user code: after each case the kernel is alive and the next cell runs and
prints. One kernel serves the whole module, so each case also runs after all the earlier ones."""

from __future__ import annotations

import re
import time

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, Kernel, stream_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def hk(jupyter_env):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30)
    try:
        yield Kernel(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def errors(outputs):
    return [m["content"] for m in outputs if m["msg_type"] == "error"]


def run(hk, code: str, **kw):
    reply, outputs = hk.execute(code, stop_on_error=False, **kw)
    return reply["content"], outputs


def assert_next_cell_works(hk, n: int = 0) -> None:
    assert hk.km.is_alive()
    reply, outputs = run(hk, f"print('next cell', {n} + 1)")
    assert reply["status"] == "ok", reply
    assert stream_text(outputs) == f"next cell {n + 1}\n", outputs


# (name, code, expected reply status, ename or None, text expected in stdout+stderr or None)
CASES = [
    ("stdout None", "import sys; sys.stdout = None", "ok", None, None),
    ("stdout closed", "import sys; sys.stdout.close()", "ok", None, None),
    ("stderr None", "import sys; sys.stderr = None\n1/0", "error", "ZeroDivisionError", None),
    ("del print", "import builtins; del builtins.print", "ok", None, None),
    ("del len and repr", "import builtins; del builtins.len, builtins.repr", "ok", None, None),
    ("sys.exit", "import sys; sys.exit()", "error", "SystemExit", None),
    ("raise SystemExit", "raise SystemExit(3)", "error", "SystemExit", None),
    ("recursion", "def f(): return f()\nf()", "error", "RecursionError", None),
    ("huge allocation", "bytearray(1 << 60)", "error", "MemoryError", None),
    ("exception in a thread", "import threading\nt = threading.Thread(target=lambda: 1 / 0)\nt.start(); t.join()",
     "ok", None, "ZeroDivisionError"),
    ("__del__ raises", "class D:\n    def __del__(self): raise ValueError('from del')\nd = D(); del d",
     "ok", None, "Exception ignored in"),
    ("__repr__ raises", "class R:\n    def __repr__(self): raise ValueError('bad repr')\nR()",
     "error", "ValueError", None),
    ("lone surrogates", "print('a\\udcffb\\ud800c')", "ok", None, "a\ufffdb\ufffdc\n"),
    ("surrogate repr", "class S:\n    def __repr__(self): return 'x\\udcff'\nS()", "ok", None, None),
    ("surrogate error", "raise ValueError('bad \\ud800 value')", "error", "ValueError", None),
    ("binary on fd 1", "import os; os.write(1, b'x\\xff\\xfey\\x00z\\n')", "ok", None, "x\ufffd\ufffdy\x00z\n"),
    ("bytes to sys.stdout", "import sys; sys.stdout.write(b'\\xff')", "error", "TypeError", None),
    ("os.close(2)", "import os; os.close(2)", "ok", None, None),
    ("close fds 1 and 2 then C output", "import os; os.close(1); os.close(2)", "ok", None, None),
]


@pytest.mark.parametrize("name, code, status, ename, text", CASES, ids=[c[0] for c in CASES])
def test_hostile_cell(hk, name, code, status, ename, text):
    reply, outputs = run(hk, code)
    assert reply["status"] == status, (reply, outputs)
    if ename:
        assert reply["ename"] == ename and errors(outputs)[0]["ename"] == ename, outputs
    if text:
        assert text in stream_text(outputs) + stream_text(outputs, "stderr"), outputs
    assert_next_cell_works(hk)


def test_fds_reopened_for_c_output(hk):
    """After `os.close(1)` / `os.close(2)` in a cell, later cells' fd output reaches them again."""
    run(hk, "import os; os.close(1); os.close(2)")
    reply, outputs = run(hk, "import os; os.system('echo out-again; echo err-again >&2')")
    assert stream_text(outputs) == "out-again\n" and stream_text(outputs, "stderr") == "err-again\n", outputs


def test_exit_and_quit_ask_the_frontend(hk):
    for code, keep in (("exit()", False), ("quit()", False), ("exit(keep_kernel=True)", True), ("quit", False)):
        reply, outputs = run(hk, code)
        assert reply["status"] == "ok"
        assert reply["payload"] == [{"source": "ask_exit", "keepkernel": keep}], code
        assert_next_cell_works(hk)


def test_fork_child_ends_with_its_cell(hk):
    """The child of os.fork() finishes the cell's code, then ends (exit status 0; 1 and a
    traceback on stderr if its code raised); only the parent answers. Its prints reach the cell."""
    reply, outputs = run(hk, "import os\npid = os.fork()\nprint('child' if pid == 0 else 'parent')\n"
                             "if pid:\n    print('status', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))")
    assert reply["status"] == "ok"
    assert sorted(stream_text(outputs).splitlines()) == ["child", "parent", "status 0"], outputs
    reply, outputs = run(hk, "pid = os.fork()\nif pid == 0:\n    raise ValueError('in the child')\n"
                             "print('status', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))")
    assert reply["status"] == "ok" and "status 1\n" in stream_text(outputs)
    assert "ValueError: in the child" in stream_text(outputs, "stderr")
    # the child never served a request: exactly one reply per request since
    assert hk.kc.shell_channel.msg_ready() is False
    assert_next_cell_works(hk)


def test_multiprocessing_pool_prints_reach_the_cell(hk):
    reply, outputs = run(hk, "import multiprocessing as mp\nwith mp.get_context('fork').Pool(2) as p:\n"
                             "    r = p.map(print, range(4))")
    assert reply["status"] == "ok"
    assert sorted(stream_text(outputs).split()) == ["0", "1", "2", "3"], outputs
    assert_next_cell_works(hk)


def start_and_wait(hk, code: str, marker: str) -> str:
    msg_id = hk.kc.execute(code, stop_on_error=False)
    while True:
        msg = hk.kc.get_iopub_msg(timeout=30)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream"
                and marker in msg["content"]["text"]):
            return msg_id


def test_repr_that_hangs_is_interrupted(hk):
    msg_id = start_and_wait(hk, "class H:\n    def __repr__(self):\n        import time\n"
                                "        print('in repr', flush=True)\n        time.sleep(60)\nH()", "in repr")
    hk.km.interrupt_kernel()
    reply, outputs = hk.wait(msg_id, timeout=30)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert_next_cell_works(hk)


def test_sig_ign_then_interrupt(hk, tmp_path, record_property):
    """Documented outcome: a cell that sets SIG_IGN for SIGINT is not interrupted (the interrupt is
    ignored, as the user asked, and the cell runs to its end); the next cell has the kernel's
    handler back and is interruptible. (The cell waits for a file the test creates only after
    the interrupt was sent, so the signal surely came while it ran.)"""
    go = tmp_path / "go"
    msg_id = start_and_wait(hk, "import os, signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                "print('ignoring', flush=True)\ndeadline = time.monotonic() + 30\n"
                                f"while not os.path.exists({str(go)!r}) and time.monotonic() < deadline:\n"
                                "    time.sleep(0.01)\nprint('ran to the end')", "ignoring")
    hk.km.interrupt_kernel()
    go.touch()
    reply, outputs = hk.wait(msg_id, timeout=60)
    assert reply["content"]["status"] == "ok" and "ran to the end" in stream_text(outputs)
    msg_id = start_and_wait(hk, "import time\nprint('sleeping', flush=True)\ntime.sleep(60)", "sleeping")
    started = time.monotonic()
    hk.km.interrupt_kernel()
    reply, outputs = hk.wait(msg_id, timeout=30)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    record_property("figures", f"interrupt after SIG_IGN cell took {time.monotonic() - started:.2f} s")
    assert_next_cell_works(hk)


def test_user_sigint_handler_then_interrupt(hk):
    """A user's own SIGINT handler runs on the interrupt in the cell that installed it (the cell
    goes on); the next cell is interruptible by the kernel again."""
    msg_id = start_and_wait(hk, "import signal, time\ngot = []\n"
                                "signal.signal(signal.SIGINT, lambda *a: got.append(print('mine', flush=True)))\n"
                                "print('armed', flush=True)\ndeadline = time.monotonic() + 30\n"
                                "while not got and time.monotonic() < deadline:\n    time.sleep(0.01)\n"
                                "print('done')", "armed")
    hk.km.interrupt_kernel()
    reply, outputs = hk.wait(msg_id, timeout=60)
    assert reply["content"]["status"] == "ok"
    assert "mine\n" in stream_text(outputs) and "done\n" in stream_text(outputs)
    msg_id = start_and_wait(hk, "import time\nprint('sleeping', flush=True)\ntime.sleep(60)", "sleeping")
    hk.km.interrupt_kernel()
    reply, _ = hk.wait(msg_id, timeout=30)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert_next_cell_works(hk)


def test_error_output_is_readable_after_all_that(hk):
    reply, outputs = run(hk, "1/0")
    text = ANSI.sub("", "\n".join(errors(outputs)[0]["traceback"]))
    assert "ZeroDivisionError" in text
    assert_next_cell_works(hk)


def test_user_handler_is_not_left_in_place_between_cells(hk):
    """A cell installs Python's default handler (KeyboardInterrupt anywhere) and ends; an interrupt
    between cells then meets the kernel's handler (ignored while idle), not a KeyboardInterrupt in
    the kernel's own loop."""
    reply, _ = run(hk, "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)")
    assert reply["status"] == "ok"
    reply, outputs = run(hk, "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)")
    assert stream_text(outputs) == "False\n"
    hk.km.interrupt_kernel()
    assert_next_cell_works(hk)


def test_surrogates_reach_the_client_as_replacement_characters(hk):
    reply, outputs = run(hk, "class S:\n    def __repr__(self): return 'x\\udcffy'\nprint('\\ud800'); S()")
    assert stream_text(outputs) == "\ufffd\n"
    result = [m for m in outputs if m["msg_type"] == "execute_result"][0]["content"]["data"]["text/plain"]
    assert result == "x\ufffdy"
    assert_next_cell_works(hk)
