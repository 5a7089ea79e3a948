"""Interrupts, in signal mode (SIGINT from jupyter_client) and message mode (interrupt_request on
control): each blocking case stops with KeyboardInterrupt and the kernel answers the next cell."""

import time

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME

CASES = {
    "time.sleep": "import time\nprint('started', flush=True)\ntime.sleep(100)",
    "python loop": "print('started', flush=True)\nwhile True:\n    pass",
    "await asyncio.sleep": "import asyncio\nprint('started', flush=True)\nawait asyncio.sleep(100)",
    "socket recv": "import socket\na, b = socket.socketpair()\nprint('started', flush=True)\na.recv(10)",
    "busy loop in an async cell": "import asyncio\nawait asyncio.sleep(0)\nprint('started', flush=True)\nwhile True:\n    pass",
}


@pytest.fixture(params=["signal", "message"], scope="module")
def mode_kernel(request, jupyter_env):
    name = KERNEL_NAME if request.param == "signal" else KERNEL_NAME + "-message"
    km, kc = start_new_kernel(kernel_name=name, startup_timeout=30)
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel()


def wait_started(kc, msg_id):
    while True:
        msg = kc.get_iopub_msg(timeout=20)
        if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream"
                and "started" in msg["content"]["text"]):
            return


def reply_to(kc, msg_id, timeout=20):
    while True:
        msg = kc.get_shell_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


@pytest.mark.parametrize("case", CASES)
def test_interrupt_stops_the_cell(mode_kernel, case):
    km, kc = mode_kernel
    msg_id = kc.execute(CASES[case])
    wait_started(kc, msg_id)
    start = time.monotonic()
    km.interrupt_kernel()
    content = reply_to(kc, msg_id)
    elapsed = time.monotonic() - start
    assert content["status"] == "error" and content["ename"] == "KeyboardInterrupt", content
    assert elapsed < 5, elapsed
    after = reply_to(kc, kc.execute("1 + 1"), timeout=5)
    assert after["status"] == "ok"


def test_interrupt_while_idle_is_harmless(mode_kernel):
    km, kc = mode_kernel
    km.interrupt_kernel()
    km.interrupt_kernel()
    assert reply_to(kc, kc.execute("'alive'"), timeout=10)["status"] == "ok"
    assert km.is_alive()
