"""Flood safety: a per-cell output budget, one notice of what was dropped, and a runaway print
loop that can still be interrupted."""

import re
import time

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, Kernel, stream_text

BUDGET = 10_000


@pytest.fixture
def small_budget(jupyter_env):
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30,
                              extra_arguments=[f"--Kernel.output_budget={BUDGET}"])
    try:
        yield Kernel(km, kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel()


def test_budget_cuts_and_counts(small_budget):
    reply, outputs = small_budget.execute("for i in range(100000): print(i)")
    assert reply["content"]["status"] == "ok"
    out, err = stream_text(outputs, "stdout"), stream_text(outputs, "stderr")
    full = "".join(f"{i}\n" for i in range(100000))
    assert out == full[:BUDGET]  # what was sent is exact and in order
    notice = re.search(r"output limit reached: ([\d,]+) more characters in ([\d,]+) lines", err)
    assert notice, err
    chars, lines = (int(g.replace(",", "")) for g in notice.groups())
    assert chars == len(full) - BUDGET and lines == full[BUDGET:].count("\n")
    assert err.count("output limit reached") == 1
    # the budget is per cell: the next cell prints normally, with no notice
    reply, outputs = small_budget.execute("print('fresh')")
    assert stream_text(outputs) == "fresh\n" and stream_text(outputs, "stderr") == ""


def test_runaway_loop_is_bounded_and_interruptible(small_budget):
    kc = small_budget.kc
    msg_id = kc.execute("while True:\n    print('spam spam spam')")
    sent, started = 0, time.monotonic()
    while sent < BUDGET:  # wait until the cell has used up its budget
        msg = kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            sent += len(msg["content"]["text"])
    small_budget.km.interrupt_kernel()
    reply, outputs = small_budget.wait(msg_id, timeout=20)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert sent + len(stream_text(outputs)) == BUDGET  # nothing past the budget was sent
    assert "output limit reached" in stream_text(outputs, "stderr")
    reply, _ = small_budget.execute("'alive'")
    assert reply["content"]["status"] == "ok"
    assert time.monotonic() - started < 30


def test_default_budget_keeps_a_20mb_print_whole(kernel):
    reply, outputs = kernel.execute("print('x' * 20_000_000)", timeout=120)
    assert len(stream_text(outputs)) == 20_000_001
    assert "output limit" not in stream_text(outputs, "stderr")
