"""Lifecycle faults: the launcher dies, shutdown with user child processes, restart, SIGKILL and
jupyter_client's restarter, transports, an empty key. Processes are watched with psutil."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap

import psutil
from jupyter_client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, stream_text

# User code that starts three children and prints their pids: a plain `sleep 1000`, a Python child
# that ignores SIGTERM and SIGINT (only the SIGKILL after the grace period ends it), and a shell
# with a grandchild.
CHILDREN = textwrap.dedent("""
    import subprocess, sys
    kids = [subprocess.Popen(["sleep", "1000"]),
            subprocess.Popen([sys.executable, "-c", "import signal, time\\n"
                              "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\\n"
                              "print('ready', flush=True)\\n"
                              "time.sleep(1000)"], stdout=subprocess.PIPE, text=True),
            subprocess.Popen(["sh", "-c", "sleep 1000 & echo $!; wait"], stdout=subprocess.PIPE, text=True)]
    assert kids[1].stdout.readline() == "ready\\n"
    grandchild = int(kids[2].stdout.readline())
    print(*[k.pid for k in kids], grandchild)
""")


def running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has ended; whoever adopted it may reap it late)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def start_children(kc) -> list[int]:
    outputs = []
    reply = kc.execute_interactive(CHILDREN, timeout=30, output_hook=outputs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    pids = [int(p) for p in stream_text(outputs).split()]
    assert len(pids) == 4 and all(running(p) for p in pids)
    return pids


def wait_gone(pids: list[int], timeout: float = 10) -> None:
    """Until each pid has ended (psutil.wait_procs: no sleep loop of ours); zombies count as ended."""
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs([p for p in procs if running(p.pid)], timeout=timeout)
    left = [p.pid for p in alive if running(p.pid)]
    assert not left, f"still running: {left}"


def test_shutdown_ends_3_children_and_a_grandchild(jupyter_env, record_property):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(extra_arguments=["--Kernel.child_grace=0.5"])
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        pids = start_children(kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)  # shutdown_request on control, then waits for the process
    process = km.provisioner.process if km.provisioner else None
    assert process is None or process.poll() is not None
    wait_gone(pids)
    record_property("figures", f"{len(pids)} descendants ended at shutdown")


def test_own_connection_file_removed_and_children_ended(jupyter_env):
    """A kernel started without -f: its 0600 file goes at shutdown, and so do the user's children."""
    proc = subprocess.Popen([sys.executable, "-m", "minikernel", "--Kernel.child_grace=0.5"],
                            stdout=subprocess.PIPE, text=True)
    try:
        path = proc.stdout.readline().split("connection file", 1)[1].strip()
        kc = BlockingKernelClient(connection_file=path)
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)
            pids = start_children(kc)
            kc.shutdown()
        finally:
            kc.stop_channels()
        assert proc.wait(timeout=30) == 0
        assert not os.path.exists(path)
        wait_gone(pids)
    finally:
        proc.kill()
        proc.wait(timeout=10)


LAUNCHER = textwrap.dedent("""
    import sys
    from jupyter_client.manager import KernelManager
    km = KernelManager(kernel_name=sys.argv[1])
    km.start_kernel()  # jupyter_client sets JPY_PARENT_PID to this process
    kc = km.client(); kc.start_channels(); kc.wait_for_ready(timeout=30)
    reply = kc.execute_interactive("import subprocess; print(subprocess.Popen(['sleep', '1000']).pid)",
                                   timeout=30, output_hook=lambda m: m["msg_type"] == "stream"
                                   and print(m["content"]["text"].strip(), flush=True))
    print(km.provisioner.pid, flush=True)
    sys.stdin.read()  # until killed
""")


def test_launcher_sigkilled_kernel_and_its_child_exit(jupyter_env, record_property):
    """jupyter_client launches the kernel; the launcher is SIGKILLed (no shutdown_request): the
    kernel notices within Kernel.parent_poll_interval (1 s) and exits, ending its user's child."""
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, KERNEL_NAME], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)
    try:
        child = int(launcher.stdout.readline())
        kernel = psutil.Process(int(launcher.stdout.readline()))
        assert kernel.environ().get("JPY_PARENT_PID") == str(launcher.pid)
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=10)
        kernel.wait(timeout=10)  # psutil.TimeoutExpired if it lingers
        wait_gone([child])
        record_property("figures", "kernel and 1 child gone after the launcher's SIGKILL")
    finally:
        launcher.kill()
        launcher.wait(timeout=10)


def test_restart_leaves_nothing_of_the_old_kernel(jupyter_env):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        old = km.provisioner.pid
        outputs = []
        kc.execute_interactive("import subprocess; print(subprocess.Popen(['sleep', '1000']).pid)", timeout=30,
                               output_hook=outputs.append)
        child = int(stream_text(outputs))
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=30)
        assert km.provisioner.pid != old
        wait_gone([old, child])
        reply = kc.execute_interactive("'subprocess' in globals()", timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_sigkilled_kernel_is_restarted_by_jupyter_clients_restarter(jupyter_env):
    """The path jupyter_server takes: an AsyncIOLoopKernelManager with autorestart; its restarter
    polls the process, sees it dead and starts a new kernel, which works."""
    from jupyter_client.ioloop.manager import AsyncIOLoopKernelManager

    async def scenario():
        km = AsyncIOLoopKernelManager(kernel_name=KERNEL_NAME, autorestart=True)
        await km.start_kernel()
        restarts = []
        km.add_restart_callback(lambda: restarts.append(km.provisioner.pid), "restart")
        km.restarter_class.time_to_dead = 0.2  # poll often (a class trait default: set before start)
        km.start_restarter()
        try:
            old = km.provisioner.pid
            os.kill(old, signal.SIGKILL)
            # The callback fires before the new kernel starts: wait for a new live process.
            deadline = asyncio.get_running_loop().time() + 30
            while not (restarts and km.provisioner and km.provisioner.pid not in (None, old)
                       and await km.is_alive()):
                assert asyncio.get_running_loop().time() < deadline, "no restart within 30 s"
                await asyncio.sleep(0.05)
            assert restarts == [old]
            kc = km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=30)
                reply = await kc.execute_interactive("6 * 7", timeout=30)
                assert reply["content"]["status"] == "ok"
            finally:
                kc.stop_channels()
        finally:
            km.stop_restarter()
            await km.shutdown_kernel(now=False)

    asyncio.run(scenario())


def test_tcp_binds_loopback_only(kernel):
    """The connection file says 127.0.0.1: every listening socket of the kernel is on loopback."""
    process = psutil.Process(kernel.km.provisioner.pid)
    listening = [c for c in process.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN]
    assert len(listening) == 5, listening  # shell, iopub, stdin, control, heartbeat
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}, listening
    info = kernel.km.get_connection_info()
    assert {c.laddr.port for c in listening} == {info[f"{c}_port"] for c in ("shell", "iopub", "stdin", "control", "hb")}


def test_ipc_transport_works(jupyter_env, tmp_path):
    km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(tmp_path / "k"))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        outputs = []
        reply = kc.execute_interactive("print('over ipc')", timeout=30, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok" and stream_text(outputs) == "over ipc\n"
        assert kc.is_alive()
        sockets = sorted(p.name for p in tmp_path.iterdir())
        assert len(sockets) == 5, sockets
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def test_empty_key_logs_a_warning(tmp_path):
    info = {f"{c}_port": 0 for c in ("shell", "iopub", "stdin", "control", "hb")}
    path = tmp_path / "unsigned.json"
    path.write_text(json.dumps({**info, "key": "", "ip": "127.0.0.1", "transport": "tcp"}))
    proc = subprocess.Popen([sys.executable, "-m", "minikernel", "-f", str(path)], stderr=subprocess.PIPE, text=True)
    try:
        lines = []  # the warning is logged at start-up, before any socket is bound
        while not any("empty key" in line for line in lines) and len(lines) < 20:
            lines.append(proc.stderr.readline())
        assert [line for line in lines if "empty key" in line and "WARNING" in line], lines
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_children_found_through_proc_without_psutil(monkeypatch):
    """minikernel.children without psutil (no runtime dependency): /proc finds a child and its
    grandchild; terminate() ends a child that ignores SIGTERM with SIGKILL after the grace."""
    from minikernel import children

    stubborn = subprocess.Popen([sys.executable, "-c", "import signal, time\n"
                                 "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
                                 "time.sleep(1000)"], stdout=subprocess.PIPE, text=True)
    shell = subprocess.Popen(["sh", "-c", "sleep 1000 & echo $!; wait"], stdout=subprocess.PIPE, text=True)
    try:
        assert stubborn.stdout.readline() == "ready\n"
        grandchild = int(shell.stdout.readline())
        monkeypatch.setitem(sys.modules, "psutil", None)
        found = children.descendants()
        assert {stubborn.pid, shell.pid, grandchild} <= set(found), found
        assert found.index(shell.pid) < found.index(grandchild)
        killed = children.terminate([stubborn.pid, shell.pid, grandchild], grace=0.5)
        assert killed == [stubborn.pid]
        assert stubborn.poll() is not None and shell.poll() is not None  # reaped by terminate()
    finally:
        monkeypatch.undo()
        for proc in (stubborn, shell):
            proc.kill()
            proc.wait(timeout=10)
    wait_gone([grandchild])
