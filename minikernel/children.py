"""The kernel's child processes (subprocess.Popen, os.fork, multiprocessing in cells): found and
ended when the kernel shuts down, so none is left running as an orphan.

SIGTERM first, SIGKILL for what is still there after a grace period (as ipykernel and
jupyter_client do for kernels). psutil is used when installed; otherwise /proc (Linux).
"""

from __future__ import annotations

import os
import signal
import time


def descendants() -> list[int]:
    """Every process below this one, children before grandchildren; and, when this process leads
    its own session (jupyter_client starts kernels with start_new_session), the rest of its
    process group, since only its descendants can be there: a grandchild whose parent died first
    (jupyter_client's SIGINT to the group at shutdown ends a `sh -c "sleep 1000 & wait"` but not
    its background job) has been adopted by init by then. (Not when the kernel merely leads a
    group in someone else's session: `python -m minikernel | tee log` puts tee in that group.)"""
    me = os.getpid()
    found = _descendants(me)
    if os.getsid(0) == me and os.getpgid(0) == me:
        found += [pid for pid in _group(me) if pid != me and pid not in found]
    return found


def _descendants(pid: int) -> list[int]:
    try:
        import psutil
    except ImportError:
        return _descendants_from_proc(pid)
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def _group(pgid: int) -> list[int]:
    """The processes in process group `pgid` (/proc on Linux, else psutil, else none)."""
    try:
        entries = [int(e) for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        try:
            import psutil
        except ImportError:
            return []
        entries = psutil.pids()
    members = []
    for pid in entries:
        try:
            if os.getpgid(pid) == pgid:
                members.append(pid)
        except OSError:
            pass
    return members


def _descendants_from_proc(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:  # no /proc and no psutil: nothing we can find
        return []
    for entry in entries:
        if entry.isdigit():
            parent = _ppid(int(entry))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(0), ()):
            found.append(child)
            todo.append(child)
    return found


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2:].decode().split()


def _ppid(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _gone(pid: int) -> bool:
    try:  # our own child: reap it (a zombie still "exists")
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return True
    except ChildProcessError:
        pass
    fields = _stat(pid)
    if fields is not None:
        return fields[0] in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def terminate(pids: list[int], grace: float) -> list[int]:
    """SIGTERM `pids`, wait up to `grace` seconds for them to end, SIGKILL the rest; return the
    pids that had to be killed."""
    if not pids:
        return []
    _signal(pids, signal.SIGTERM)
    deadline = time.monotonic() + max(grace, 0.0)
    left = [p for p in pids if not _gone(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = [p for p in left if not _gone(p)]
    _signal(left, signal.SIGKILL)
    deadline = time.monotonic() + 1.0  # reap what we killed; SIGKILL cannot be refused
    waiting = list(left)
    while waiting and time.monotonic() < deadline:
        waiting = [p for p in waiting if not _gone(p)]
        if waiting:
            time.sleep(0.01)
    return left
