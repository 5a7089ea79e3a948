"""The one module that swaps process-wide hooks, always as context managers.

sys.stdout, sys.stderr, sys.displayhook, builtins.input, builtins.display, getpass.getpass,
sys.modules["__main__"], the display hook (engine/display.py: the publisher that display(),
update_display(), clear_output() and minikernel.display reach), the SIGINT handler,
`comm.create_comm` / `comm.get_comm_manager`, and IPython compatibility (builtins.get_ipython and
an import hook on sys.meta_path that rebinds IPython's display functions when user code imports
IPython; the rebinding itself is in engine/ipython_compat.py), the magic runner builtin
`__minikernel__` (engine/magics/runner.py), and sys.stdout/stderr/display while %%capture runs.
It also puts back what user code broke (repair, restore_after_user_code), and in a child forked
by user code points sys.stdout/stderr at fds 1 and 2 (an at-fork hook).
"""

from __future__ import annotations

import builtins
import getpass
import logging
import os
import signal
import sys
import threading
import types
from contextlib import contextmanager
from typing import Callable

from . import display as display_hook
from .streams import OutStream


@contextmanager
def installed(stdout: OutStream, stderr: OutStream, displayhook: Callable, input_fn: Callable,
              getpass_fn: Callable, display: Callable, main_module: types.ModuleType,
              display_publisher=None):
    saved = (sys.stdout, sys.stderr, sys.displayhook, builtins.input, getpass.getpass,
             getattr(builtins, "display", None), sys.modules.get("__main__"))
    saved_publisher = display_hook._hook[0]
    if display_publisher is not None:
        display_hook._hook[0] = display_publisher
    sys.stdout, sys.stderr, sys.displayhook = stdout, stderr, displayhook
    builtins.input, getpass.getpass, builtins.display = input_fn, getpass_fn, display
    # pickle and multiprocessing find user-defined classes through sys.modules["__main__"].
    sys.modules["__main__"] = main_module
    saved_builtins = dict(_builtins_at_start)
    _builtins_at_start.clear()
    _builtins_at_start.update(vars(builtins))
    _watch_forks()
    saved_fork_rule, _fork_rule[0] = _fork_rule[0], True
    try:
        yield
    finally:
        _fork_rule[0] = saved_fork_rule
        _builtins_at_start.clear()
        _builtins_at_start.update(saved_builtins)
        display_hook._hook[0] = saved_publisher
        (sys.stdout, sys.stderr, sys.displayhook, builtins.input, getpass.getpass,
         display_saved, main_saved) = saved
        if display_saved is None:
            builtins.__dict__.pop("display", None)
        else:
            builtins.display = display_saved
        if main_saved is not None:
            sys.modules["__main__"] = main_saved


def repair(stdout: OutStream, stderr: OutStream, displayhook: Callable, display: Callable) -> None:
    """Before each cell: put back hooks that user code broke (sys.stdout = None, del display,
    `del builtins.print`, a SIGINT handler of its own or SIG_IGN)."""
    if not _usable(sys.stdout):
        sys.stdout = stdout
    if not _usable(sys.stderr):
        sys.stderr = stderr
    sys.displayhook = displayhook
    if getattr(builtins, "display", None) is None:
        builtins.display = display
    restore_after_user_code()


# What repair() puts back: builtins as installed() left them, and the kernel's SIGINT handler,
# while those context managers are in force. (Filled at run time, not at import.)
_builtins_at_start: dict = {}
_sigint_handler: list = [None]
_fork_rule: list = []  # [in force?], once the at-fork hook is registered


def restore_after_user_code() -> None:
    """Called as soon as user code returns (runner.Runner), and before each cell:
    - deleted builtins come back (`del builtins.print`; a rebound one is the user's choice and
      stays): the kernel's own code needs len(), repr()... (so no builtin is called here);
    - a SIGINT handler of the user's (or SIG_IGN) lasts for the code that set it: between cells
      and in the next cell an interrupt is the kernel's again (README, "Hostile code")."""
    missing = _builtins_at_start.keys() - builtins.__dict__.keys()
    for name in missing:
        builtins.__dict__[name] = _builtins_at_start[name]
    handler = _sigint_handler[0]
    if handler is not None and signal.getsignal(signal.SIGINT) is not handler \
            and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, handler)


def _watch_forks() -> None:
    """Once per process (an at-fork hook cannot be removed): while installed() is in force, a
    child forked by user code (os.fork, multiprocessing) writes sys.stdout/stderr to fds 1 and 2,
    which reach the cell through fd capture; the OutStreams would hand text to the iopub thread,
    which the child does not have. (runner.Runner ends such a child at the end of its code.)"""
    if not _fork_rule:
        os.register_at_fork(after_in_child=_forked_child)
        _fork_rule.append(False)


def _forked_child() -> None:
    if not _fork_rule[0]:
        return
    for name, fd in (("stdout", 1), ("stderr", 2)):
        try:
            setattr(sys, name, open(fd, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False))
        except OSError:  # the user closed that fd
            pass


def _usable(stream) -> bool:
    try:
        return stream is not None and callable(stream.write) and not (
            getattr(stream, "closed", False) and not isinstance(stream, OutStream))
    except Exception:
        return False


@contextmanager
def magics_installed(runner):
    """The magic runner as the builtin `__minikernel__` (what rewritten magic lines call, so the
    user namespace gets no new name) and in its hook slot (engine/magics/runner.py), through which
    `minikernel.magics` and get_ipython().run_line_magic reach the kernel's registry."""
    from .magics import runner as runner_module

    saved_slot = runner_module._hook[0]
    saved = builtins.__dict__.get(runner_module.BUILTIN)
    runner_module._hook[0] = runner
    setattr(builtins, runner_module.BUILTIN, runner)
    try:
        yield
    finally:
        runner_module._hook[0] = saved_slot
        if saved is None:
            builtins.__dict__.pop(runner_module.BUILTIN, None)
        else:
            setattr(builtins, runner_module.BUILTIN, saved)


@contextmanager
def redirected(stdout=None, stderr=None, display_publisher=None):
    """For a while (%%capture): sys.stdout / sys.stderr / the display hook replaced by the given
    ones (None: left alone), put back after."""
    saved = sys.stdout, sys.stderr, display_hook._hook[0]
    if stdout is not None:
        sys.stdout = stdout
    if stderr is not None:
        sys.stderr = stderr
    if display_publisher is not None:
        display_hook._hook[0] = display_publisher
    try:
        yield
    finally:
        if stdout is not None:
            sys.stdout = saved[0]
        if stderr is not None:
            sys.stderr = saved[1]
        if display_publisher is not None:
            display_hook._hook[0] = saved[2]


@contextmanager
def sigint(on_sigint: Callable[[], bool], on_ignored: Callable[[], None]):
    """SIGINT goes to `on_sigint` (which raises KeyboardInterrupt in running user code, or
    cancels a suspended cell) and is otherwise ignored, so an interrupt can never break the
    kernel's own bookkeeping (a half-sent reply, a lost idle)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if not on_sigint():
            on_ignored()

    saved = signal.signal(signal.SIGINT, handler)
    saved_slot, _sigint_handler[0] = _sigint_handler[0], handler
    try:
        yield
    finally:
        _sigint_handler[0] = saved_slot
        signal.signal(signal.SIGINT, saved)


@contextmanager
def sigint_deferred():
    """Hold an interrupt back for a short section that must not be cut in the middle (starting
    a child process: cut inside subprocess.Popen, the child runs on with nobody to end it). An
    interrupt that arrives meanwhile is handled, by the handler in force, when the section ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: arrived.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if arrived:
            if callable(previous):
                previous(signal.SIGINT, arrived[0])
            elif previous == signal.SIG_DFL:
                raise KeyboardInterrupt


class _ExceptionsToStderr(logging.Handler):
    """traitlets log records that carry an exception, onto sys.stderr as it is at that moment
    (the current request's). Without an IPython shell, ipywidgets reports errors in widget
    callbacks (observe, on_click...) only this way; traitlets' own NullHandler would lose them."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            try:
                sys.stderr.write(self.format(record) + "\n")
            except Exception:
                self.handleError(record)


@contextmanager
def comms_installed(manager):
    """Point `comm.create_comm` / `comm.get_comm_manager` (the `comm` package, used by ipywidgets
    8) at `manager`, if that package is importable; without it, nothing to do."""
    handler = _ExceptionsToStderr()
    traitlets_log = logging.getLogger("traitlets")
    traitlets_log.addHandler(handler)
    try:
        import comm
    except Exception:  # not installed (it is no dependency of minikernel), or broken
        comm = None
    if comm is not None:
        saved = comm.create_comm, comm.get_comm_manager
        comm.create_comm, comm.get_comm_manager = manager.create_comm, lambda *a, **kw: manager
    try:
        yield
    finally:
        if comm is not None:
            comm.create_comm, comm.get_comm_manager = saved
        traitlets_log.removeHandler(handler)


@contextmanager
def ipython_compat(user_ns: dict, kernel=None):
    """`get_ipython()` (a ZMQInteractiveShell shim over `user_ns`, whose `.kernel` is `kernel`)
    and IPython.display publishing through the kernel, for user code that imports IPython.
    Imports nothing of IPython; yields the shim. See engine/ipython_compat.py."""
    from . import ipython_compat as compat

    with compat.installed(user_ns, kernel) as shell:
        yield shell


@contextmanager
def nested_event_loops(blocked: Callable[[object], bool]):
    """Let plain cell code start its own event loop (asyncio.run(), loop.run_until_complete())
    while the kernel's loop is blocked running that code, and still create tasks on the kernel's
    loop (asyncio.create_task() works in a plain cell, as in ipykernel).

    asyncio.run() and BaseEventLoop._check_running() ask `asyncio.events._get_running_loop()`
    whether a loop runs; create_task() and get_running_loop() use the C-level value, which we
    leave alone. `blocked(loop)` says whether `loop` is the kernel's, blocked in plain code.
    """
    import asyncio.events as events

    original = events._get_running_loop

    def _get_running_loop():
        loop = original()
        return None if loop is not None and blocked(loop) else loop

    events._get_running_loop = _get_running_loop
    try:
        yield
    finally:
        events._get_running_loop = original


@contextmanager
def threads_remember_their_cell(attribute: str, current_cell: Callable[[], object]):
    """Each thread started while a request runs remembers it (as `attribute`), so its output can
    go to that cell while it runs (dispatch.Publisher decides). threading.Thread.start is wrapped
    for the kernel's lifetime; threads do not inherit contextvars in Python 3.11."""
    original = threading.Thread.start

    def start(thread, *args, **kwargs):
        if getattr(thread, attribute, None) is None:
            try:
                setattr(thread, attribute, current_cell())
            except Exception:  # a Thread subclass with __slots__ or a read-only attribute
                pass
        return original(thread, *args, **kwargs)

    threading.Thread.start = start
    try:
        yield
    finally:
        threading.Thread.start = original
