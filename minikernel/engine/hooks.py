"""The one module that swaps process-wide hooks, always as context managers.

sys.stdout, sys.stderr, sys.displayhook, builtins.input, builtins.display, getpass.getpass,
sys.modules["__main__"] and the SIGINT handler.
"""

from __future__ import annotations

import builtins
import getpass
import signal
import sys
import threading
import types
from contextlib import contextmanager
from typing import Callable

from .streams import OutStream


@contextmanager
def installed(stdout: OutStream, stderr: OutStream, displayhook: Callable, input_fn: Callable,
              getpass_fn: Callable, display: Callable, main_module: types.ModuleType):
    saved = (sys.stdout, sys.stderr, sys.displayhook, builtins.input, getpass.getpass,
             getattr(builtins, "display", None), sys.modules.get("__main__"))
    sys.stdout, sys.stderr, sys.displayhook = stdout, stderr, displayhook
    builtins.input, getpass.getpass, builtins.display = input_fn, getpass_fn, display
    # pickle and multiprocessing find user-defined classes through sys.modules["__main__"].
    sys.modules["__main__"] = main_module
    try:
        yield
    finally:
        (sys.stdout, sys.stderr, sys.displayhook, builtins.input, getpass.getpass,
         display_saved, main_saved) = saved
        if display_saved is None:
            builtins.__dict__.pop("display", None)
        else:
            builtins.display = display_saved
        if main_saved is not None:
            sys.modules["__main__"] = main_saved


def repair(stdout: OutStream, stderr: OutStream, displayhook: Callable, display: Callable) -> None:
    """Before each cell: put back hooks that user code broke (sys.stdout = None, del display...)."""
    if not _usable(sys.stdout):
        sys.stdout = stdout
    if not _usable(sys.stderr):
        sys.stderr = stderr
    sys.displayhook = displayhook
    if getattr(builtins, "display", None) is None:
        builtins.display = display


def _usable(stream) -> bool:
    try:
        return stream is not None and callable(stream.write) and not (
            getattr(stream, "closed", False) and not isinstance(stream, OutStream))
    except Exception:
        return False


@contextmanager
def sigint_raises_only_when(in_user_code: Callable[[], bool], on_ignored: Callable[[], None]):
    """SIGINT becomes KeyboardInterrupt only while user code runs, so an interrupt can never
    break the kernel's own bookkeeping (a half-sent reply, a lost idle)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if in_user_code():
            raise KeyboardInterrupt
        on_ignored()

    saved = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, saved)
