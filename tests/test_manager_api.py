"""jupyter_client's kernel-management API, used as its documentation shows, driving minikernel:
KernelManager (start, client, restart, interrupt in both interrupt modes, shutdown),
MultiKernelManager and AsyncKernelManager."""

from __future__ import annotations

import asyncio
import os
from contextlib import contextmanager

import pytest
from jupyter_client import AsyncKernelManager, KernelManager, MultiKernelManager

from conftest import KERNEL_NAME

MESSAGE_KERNEL_NAME = KERNEL_NAME + "-message"  # the same kernel with interrupt_mode "message"
TIMEOUT = 30

pytestmark = pytest.mark.usefixtures("jupyter_env")


@contextmanager
def started(kernel_name: str = KERNEL_NAME):
    """KernelManager.start_kernel + a ready client; the kernel is always shut down."""
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    try:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=TIMEOUT)
            yield km, kc
        finally:
            kc.stop_channels()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=False)


def run(kc, code: str, timeout: float = TIMEOUT) -> tuple[dict, list[dict]]:
    """execute_interactive; returns (reply content, iopub outputs of the cell)."""
    outputs: list[dict] = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append)
    return reply["content"], [m for m in outputs if m["msg_type"] != "status"]


def result_text(outputs: list[dict]) -> str:
    [result] = [m for m in outputs if m["msg_type"] == "execute_result"]
    return result["content"]["data"]["text/plain"]


def stdout_text(outputs: list[dict]) -> str:
    return "".join(m["content"]["text"] for m in outputs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# -- KernelManager ------------------------------------------------------------------------------

def test_start_client_execute():
    with started() as (km, kc):
        assert km.is_alive()
        assert km.kernel_spec.argv[1:3] == ["-m", "minikernel"]
        reply, outputs = run(kc, "import os\nprint('pid', os.getpid())\n6 * 7")
        assert reply["status"] == "ok"
        assert stdout_text(outputs) == f"pid {km.provisioner.pid}\n"
        assert result_text(outputs) == "42"


def test_restart_kernel_forgets_namespace():
    with started() as (km, kc):
        reply, _ = run(kc, "x = 42")
        assert reply["status"] == "ok"
        old_pid = km.provisioner.pid

        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=TIMEOUT)

        assert km.is_alive()
        assert km.provisioner.pid != old_pid
        assert process_gone(old_pid)
        reply, outputs = run(kc, "x")
        assert reply["status"] == "error"
        assert reply["ename"] == "NameError"
        reply, outputs = run(kc, "1 + 1")
        assert reply["status"] == "ok"
        assert reply["execution_count"] == 2  # the counter started over too
        assert result_text(outputs) == "2"


def interrupt_sleeping_cell(km, kc) -> tuple[dict, list[dict]]:
    """Start `time.sleep(60)`, interrupt it once the cell is running user code; return the
    execute_reply message and the iopub messages seen for that cell."""
    msg_id = kc.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
    seen = []
    while not any(m["msg_type"] == "stream" for m in seen):  # the print ran: we are in user code
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            seen.append(msg)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)  # far less than the 60 s the cell would sleep
    assert reply["parent_header"]["msg_id"] == msg_id
    while not (seen[-1]["msg_type"] == "status" and seen[-1]["content"]["execution_state"] == "idle"):
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") == msg_id:
            seen.append(msg)
    return reply, seen


def check_interrupted(kc, reply: dict, seen: list[dict]) -> None:
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    errors = [m for m in seen if m["msg_type"] == "error"]
    assert [e["content"]["ename"] for e in errors] == ["KeyboardInterrupt"]
    # The kernel is free again at once.
    reply, outputs = run(kc, "'still here'", timeout=5)
    assert reply["status"] == "ok"
    assert result_text(outputs) == "'still here'"


def test_cell_sent_after_an_error_reply_runs():
    """stop_on_error aborts only requests already queued behind the failed cell: one sent
    after its reply arrived must run. The race is narrow, hence the repetitions."""
    with started() as (km, kc):
        def reply_to(msg_id):
            while True:
                msg = kc.get_shell_msg(timeout=10)
                if msg["parent_header"]["msg_id"] == msg_id:
                    return msg["content"]

        enames = []
        for _ in range(200):
            enames.append(reply_to(kc.execute("1 / 0"))["ename"])  # each one sent after a reply
            enames.append(reply_to(kc.execute("'ran'")).get("ename", "ok"))
        aborted = enames.count("ExecutionAborted")
        assert aborted == 0, f"{aborted} of 400 cells sent after the previous reply were aborted"
        assert enames == ["ZeroDivisionError", "ok"] * 200


def test_interrupt_kernel_signal_mode():
    with started() as (km, kc):
        assert km.kernel_spec.interrupt_mode == "signal"
        reply, seen = interrupt_sleeping_cell(km, kc)
        check_interrupted(kc, reply, seen)


def test_interrupt_kernel_message_mode():
    with started(MESSAGE_KERNEL_NAME) as (km, kc):
        assert km.kernel_spec.interrupt_mode == "message"
        reply, seen = interrupt_sleeping_cell(km, kc)
        check_interrupted(kc, reply, seen)


def test_interrupt_message_mode_uses_control_channel():
    """In message mode interrupt_kernel sends an interrupt_request on control: the kernel
    handles it (busy/idle on iopub parented to it) instead of receiving a signal."""
    with started(MESSAGE_KERNEL_NAME) as (km, kc):
        km.interrupt_kernel()  # nothing is running: the kernel just answers
        states = []
        while states != ["busy", "idle"]:
            msg = kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["msg_type"] == "status" and msg["parent_header"].get("msg_type") == "interrupt_request":
                states.append(msg["content"]["execution_state"])
        reply, outputs = run(kc, "6 * 7", timeout=5)
        assert result_text(outputs) == "42"


def test_shutdown_kernel_ends_the_process():
    # Wait until the kernel is up: shutdown_kernel sends SIGINT before shutdown_request, and
    # that signal kills any Python process still starting up (ipykernel too), so the
    # returncode check below would see -SIGINT instead of a clean exit.
    with started() as (km, kc):
        assert km.is_alive()
        popen = km.provisioner.process
        pid = popen.pid
        km.shutdown_kernel(now=False)
    assert not km.is_alive()
    assert not km.has_kernel
    assert popen.returncode == 0  # it left on the shutdown_request, it was not killed
    assert process_gone(pid)


# -- MultiKernelManager -------------------------------------------------------------------------

def test_multikernelmanager_independent_namespaces():
    mkm = MultiKernelManager()
    clients = []
    try:
        ids = [mkm.start_kernel(kernel_name=KERNEL_NAME) for _ in range(2)]
        assert sorted(mkm.list_kernel_ids()) == sorted(ids)
        for kernel_id in ids:
            kc = mkm.get_kernel(kernel_id).client()
            kc.start_channels()
            clients.append(kc)
            kc.wait_for_ready(timeout=TIMEOUT)
        a, b = clients

        assert run(a, "x = 'from a'")[0]["status"] == "ok"
        assert run(b, "x = 'from b'\ny = 1")[0]["status"] == "ok"
        assert result_text(run(a, "x")[1]) == "'from a'"
        assert result_text(run(b, "x")[1]) == "'from b'"
        assert run(a, "y")[0]["ename"] == "NameError"

        pids = [result_text(run(kc, "import os; os.getpid()")[1]) for kc in clients]
        assert pids[0] != pids[1]
        popens = [mkm.get_kernel(kernel_id).provisioner.process for kernel_id in ids]
    finally:
        for kc in clients:
            kc.stop_channels()
        mkm.shutdown_all(now=False)
    assert mkm.list_kernel_ids() == []
    assert [p.returncode for p in popens] == [0, 0]  # both left on shutdown_request


# -- AsyncKernelManager -------------------------------------------------------------------------

def test_async_kernel_manager():
    async def scenario():
        km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        await km.start_kernel()
        try:
            assert await km.is_alive()
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=TIMEOUT)
                outputs: list[dict] = []
                reply = await kc.execute_interactive("print('async hello')\n6 * 7", timeout=TIMEOUT,
                                                     output_hook=outputs.append)
            finally:
                kc.stop_channels()
        finally:
            await km.shutdown_kernel(now=False)
        assert not await km.is_alive()
        return reply, outputs

    reply, outputs = asyncio.run(asyncio.wait_for(scenario(), 90))
    assert reply["content"]["status"] == "ok"
    assert stdout_text(outputs) == "async hello\n"
    assert result_text(outputs) == "42"
