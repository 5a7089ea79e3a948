"""Keeping the kernel's own threads out of pydevd's sight.

pydevd traces, and suspends at a breakpoint ("suspend all threads"), every thread it is not told
to skip. A traced control thread would stop with the cell and nobody would answer the debugger:
a deadlock. pydevd skips a thread whose threading.Thread object has `pydev_do_not_trace`
(pydevd_trace_dispatch, set_trace_to_threads) and hides one with `is_pydev_daemon_thread` from
its `threads` replies and from the tracing of new threads (pydev_monkey._NewThreadStartupWithTrace).
"""

from __future__ import annotations

import threading

KERNEL_PREFIX = "minikernel-"  # every kernel thread is named minikernel-<job> (README, Threads)


def hide(thread: threading.Thread) -> None:
    thread.pydev_do_not_trace = True
    thread.is_pydev_daemon_thread = True


def hide_kernel_threads(prefix: str = KERNEL_PREFIX, include_current: bool = True) -> list[str]:
    """Mark every running kernel thread (and the calling one, if asked); return their names.

    Called again as the debugger runs, for kernel threads started since (the history writer
    starts on the first cell, completion workers per request): a thread marked after it started
    may still be traced, but is never suspended nor listed."""
    names = []
    current = threading.current_thread() if include_current else None
    for thread in threading.enumerate():
        if thread is current or (thread.name.startswith(prefix) and not hidden(thread)):
            hide(thread)
            names.append(thread.name)
    return names


def hidden(thread: threading.Thread) -> bool:
    return bool(getattr(thread, "pydev_do_not_trace", False))
