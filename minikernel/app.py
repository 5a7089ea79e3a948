"""L3: the only place that builds and wires everything. traitlets configuration lives here."""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from functools import partial

from . import connection, handlers, kernelspec
from .channels.heartbeat import Heartbeat
from .channels.iopub import IOPub
from .channels.loop import AsyncServer, Waker, serve
from .channels.sockets import bind_sockets, close_sockets
from .channels.stdin import Stdin
from .comm import CommManager
from .dispatch import THREAD_CELL, Dispatcher, Publisher, current_request
from .engine import hooks, inline_backend
from .engine.execute import Executor
from .engine.fdcapture import FdCapture
from .history import HistoryStore
from .wire import ReplayGuard, Session, Signer

log = logging.getLogger("minikernel")

# Requests that run user code: they wait for the asyncio loop at start-up.
USER_CODE = frozenset({"execute_request", "comm_open", "comm_msg", "comm_close"})
INLINE_BACKEND = "module://minikernel.engine.inline_backend"


def _option(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class KernelOptions:
    """Kernel options: `--Kernel.<name>=value` on the command line or `c.Kernel.<name>` in a
    config file (config.py turns these fields into traitlets)."""

    flush_interval: float = _option(0.05, "Seconds stream text is gathered before it is sent.")
    stream_chunk_size: int = _option(1 << 20, "Most characters in one stream message.")
    output_cache_size: int = _option(1000, "Results kept in Out / _N (0 keeps none).")
    capture_fd_output: bool = _option(True, "Send what is written to fds 1 and 2 (C code, os.system, "
                                             "subprocesses) to the cell.")
    output_budget: int = _option(1 << 25, "Most stream characters one cell sends (0: no limit); "
                                          "past it the rest is dropped and counted in one notice.")
    parent_poll_interval: float = _option(1.0, "Seconds between checks that the launching process lives.")
    shutdown_grace: float = _option(1.0, "Seconds a running cell gets to finish once shutdown is asked.")
    child_grace: float = _option(1.0, "At shutdown, seconds the user's child processes get between SIGTERM "
                                      "and SIGKILL.")
    iopub_wait: float = _option(2.0, "At start, the longest the shell waits for a first iopub subscriber.")
    loop_idle: float = _option(0.05, "At start, idle seconds after which the asyncio machinery loads.")
    help_in_pager: bool = _option(True, "Help (obj?, obj??) as a pager payload, which JupyterLab and jupyter "
                                        "console show; False: as an output in the cell (for frontends without a pager).")
    history_enabled: bool = _option(True, "Keep history on disk across sessions (else in memory only).")
    history_file: str = _option("", "The history database (default: <jupyter data dir>/minikernel/history.sqlite).")
    debug_just_my_code: bool = _option(True, "Debugger: step and stop in the user's code only (not in "
                                              "libraries); kernel frames are never shown either way.")
    figure_format: str = _option("png", "How inline matplotlib figures are sent: png, retina (png at twice the "
                                        "dpi, shown at the same size) or svg.")


class KernelProcess:
    """One running kernel: its sockets, threads and executor."""

    def __init__(self, info: connection.ConnectionInfo, options: KernelOptions):
        self.options = options
        # Found, not imported: debugpy loads on the first debug `initialize`.
        self.debugger_available = kernelspec.debugger_available()
        self.written_file: str | None = None  # the connection file this kernel wrote (removed at exit)
        self.stop = threading.Event()
        self.main_done = threading.Event()
        self.control_waker = Waker()
        # The main thread's asyncio loop: shell requests, cells that await, and the user's tasks,
        # which keep running between cells. Made once the kernel has answered its first requests.
        self.loop = None
        self.session = Session()
        self.signer = Signer(info.key.encode(), info.signature_scheme)
        self.heartbeat = Heartbeat(info)
        self.sockets = bind_sockets(info)
        self.iopub = IOPub(self.sockets.iopub, self.session, self.signer, options.flush_interval,
                           options.stream_chunk_size, options.output_budget)
        self.publisher = Publisher(self.session, self.iopub)
        self.stdin = Stdin(self.sockets.stdin, self.session, self.signer)
        self.history = HistoryStore(options.history_file or None, options.history_enabled)
        try:
            inline_backend.set_figure_format(options.figure_format)
        except ValueError as e:
            log.warning("%s; figures are sent as png", e)
            inline_backend.set_figure_format("png")
        self.fds = FdCapture(self.publisher.write) if options.capture_fd_output else None
        self.executor = Executor(self.publisher.emit, self.publisher.write, self._ask_input,
                                 options.output_cache_size, None, self.history)
        self.executor.pager = options.help_in_pager
        if self.fds is not None:  # after the figures: all of a cell's output before its idle
            self.executor.end_of_cell.append(self.fds.sync)
        # Comms: out on iopub parented to the current request; callbacks run as user code.
        self.comms = CommManager(self.publisher.comm, self.executor.runner.call, self.publisher.parent_message)
        replays = ReplayGuard()
        self.shell = Dispatcher("shell", self.sockets.shell, self.session, self.signer, replays,
                                self._shell_handlers(), self.publisher)
        self.control = Dispatcher("control", self.sockets.control, self.session, self.signer, replays,
                                  self._control_handlers(), self.publisher)
        self.parent_pid = int(os.environ.get("JPY_PARENT_PID", "0") or 0)
        self.initial_ppid = os.getppid()
        self.debugger = None  # debugger.session.DebugSession, made on the first debug_request
        self._debug_parent = None  # the debug_request being answered: parent of the events it causes

    def _shell_handlers(self) -> dict:
        ex = self.executor
        return {
            "kernel_info_request": partial(handlers.kernel_info, debugger=self.debugger_available),
            "execute_request": partial(handlers.execute, ex),
            "is_complete_request": handlers.is_complete,
            "complete_request": partial(handlers.complete, ex),
            "inspect_request": partial(handlers.inspect_request, ex),
            "history_request": partial(handlers.history, self.history),
            "comm_info_request": partial(handlers.comm_info, self.comms),
            "comm_open": partial(handlers.comm_open, self.comms),
            "comm_msg": partial(handlers.comm_msg, self.comms),
            "comm_close": partial(handlers.comm_close, self.comms),
            # Deprecated on shell since 5.4, still sent by older clients.
            "shutdown_request": partial(handlers.shutdown, self.request_stop),
        }

    def _control_handlers(self) -> dict:
        return {
            "kernel_info_request": partial(handlers.kernel_info, debugger=self.debugger_available),
            "debug_request": self._debug_request,
            "shutdown_request": partial(handlers.shutdown, self.request_stop),
            "interrupt_request": partial(handlers.interrupt, self.executor),
            "usage_request": partial(handlers.usage, {}),  # jupyter-resource-usage's kernel panel
        }

    # -- debugger (control thread; events from its reader thread) ------------------------------
    def _debug_request(self, request):
        self._debug_parent = request.msg
        try:
            return handlers.debug_request(self._debug_session, request)
        finally:
            self._debug_parent = None

    def _debug_session(self):
        if self.debugger is None:
            from .debugger.session import DebugSession
            from .engine.formatter import format_object

            ex = self.executor
            self.debugger = DebugSession(ex.cells, ex.namespace, self._publish_debug_event,
                                         os.path.dirname(os.path.abspath(__file__)), format_object,
                                         (format_object.__module__, format_object.__name__),
                                         self.options.debug_just_my_code)
            ex.end_of_cell.append(self.debugger.after_cell)
        return self.debugger

    def _publish_debug_event(self, event: dict) -> None:
        """debug_event on iopub (spec "Debug event"): parented to the debug_request being
        answered, else (a breakpoint hit by a cell) to the request the output goes to."""
        parent = self._debug_parent or self.publisher.parent()
        self.iopub.publish(self.session.child_of(parent, "debug_event", event))

    def _current_cell(self):
        request = current_request.get()
        return request.msg if request is not None else None

    def _ask_input(self, prompt: str, password: bool) -> str:
        request = current_request.get()
        if request is None or request.channel != "shell":
            raise RuntimeError("input() outside of an execute request")
        return self.stdin.request(request.idents, request.msg, prompt, password)

    # -- lifecycle ----------------------------------------------------------------------------
    def request_stop(self, restart: bool = False) -> None:
        self.stop.set()
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
        self.control_waker.wake()

    def _check_parent(self) -> None:
        if not self.parent_pid:
            return
        alive = os.getppid() == self.initial_ppid
        try:
            os.kill(self.parent_pid, 0)
        except ProcessLookupError:
            alive = False
        except PermissionError:
            pass
        if not alive:
            log.warning("the process that launched the kernel is gone; exiting")
            self.request_stop()

    def _control_main(self) -> None:
        try:
            serve(self.sockets.control, self.control.handle_frames, self.stop, self.control_waker,
                  tick=self.options.parent_poll_interval, on_tick=self._check_parent)
        except Exception:
            log.exception("control thread failed")
            self.request_stop()
        if not self.main_done.wait(self.options.shutdown_grace):
            # A cell is still running: flush what was said and leave without waiting for it.
            log.warning("a cell is still running at shutdown; exiting anyway")
            self.iopub.stop(timeout=2.0)
            self._end_children()
            self._remove_connection_file()
            if self.debugger is not None:  # (e.g. the cell sits at a breakpoint) its cell files
                self.debugger.close()
            os._exit(0)

    def run(self) -> None:
        self.heartbeat.start()
        self.iopub.start()
        control = threading.Thread(target=self._control_main, name="minikernel-control", daemon=True)
        control.start()
        ex = self.executor
        try:
            with ex.hooks(), hooks.comms_installed(self.comms), \
                    hooks.ipython_compat(ex.namespace, self.comms.kernel), \
                    hooks.threads_remember_their_cell(THREAD_CELL, self._current_cell), \
                    hooks.sigint(ex.runner.on_sigint, lambda: log.info("interrupt while idle: ignored")):
                # Slow joiner: a client's SUB socket may connect after its first request arrives,
                # and that request's output would be lost (jupyter console then waits forever).
                # Shell requests wait in zmq's queue until someone listens; control is served already.
                self.iopub.subscribed.wait(self.options.iopub_wait)
                if self.fds is not None:
                    self.fds.start()
                pending = self._serve_before_loop()
                if not self.stop.is_set():
                    self._serve_with_loop(pending)
        finally:
            self.stop.set()  # (not request_stop: a pending loop.stop() would cut the task clean-up short)
            self._cancel_user_tasks()  # a suspended cell still gets its reply
            if self.fds is not None:
                self.fds.stop()
            self.main_done.set()
            self.control_waker.wake()
            control.join(5.0)
            self.control_waker.close()
            self.history.close()
            if self.debugger is not None:
                self.debugger.close()
            self._end_children()
            self.iopub.stop()
            self.heartbeat.stop()
            close_sockets(self.sockets)
            if self.loop is not None:
                self.loop.close()
            self._remove_connection_file()

    def _serve_before_loop(self) -> list:
        """Start-up: answer what runs no user code (kernel_info, complete, is_complete, history...)
        from a plain poll, until the kernel is first idle for `loop_idle` or a request needs the
        loop. Only then does asyncio load (~20 ms of imports a client need not wait for)."""
        pending = []
        while not self.stop.is_set() and not pending:
            if not self.sockets.shell.poll(self.options.loop_idle * 1000):
                break
            request = self.shell.decode(self.sockets.shell.recv_multipart())
            if request is None:
                continue
            if request.msg.msg_type in USER_CODE:
                pending.append(request)
            else:
                self.shell.dispatch(request)
        return pending

    def _serve_with_loop(self, pending: list) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.executor.runner.loop = self.loop
        server = AsyncServer(self.loop, self.sockets.shell, self.shell.handle_frames)
        self.shell.poke = server.poke
        for request in pending:
            self.loop.call_soon(self.shell.dispatch, request)
        with hooks.nested_event_loops(self.executor.runner.blocks):
            server.run(self.stop, lambda: log.info("interrupt outside a cell: ignored"))

    def _cancel_user_tasks(self) -> None:
        if self.loop is None:
            return
        import asyncio

        tasks = asyncio.all_tasks(self.loop)
        for task in tasks:
            task.cancel()
        if tasks:  # let them see the cancellation (a task that ignores it is left behind)
            try:
                self.loop.run_until_complete(asyncio.wait(tasks, timeout=1.0))
            except RuntimeError:
                log.warning("user tasks left pending at shutdown")

    def _end_children(self) -> None:
        """No orphans: the processes user code started end with the kernel (SIGTERM, then SIGKILL
        after `child_grace`)."""
        from . import children

        killed = children.terminate(children.descendants(), self.options.child_grace)
        if killed:
            log.warning("killed %d child process(es) that outlived SIGTERM: %s", len(killed), killed)

    def _remove_connection_file(self) -> None:
        if self.written_file:
            try:
                os.remove(self.written_file)
            except OSError:
                pass


def run_kernel(connection_file: str, options: KernelOptions, log_level: int | str = logging.WARNING) -> None:
    """Run a kernel until it is shut down. Without a connection file it writes its own."""
    # A private copy of the stderr the kernel started with: with fds 1 and 2 captured for cells,
    # the kernel's own log still goes to the terminal and never lands in cells.
    handler = logging.StreamHandler(os.fdopen(os.dup(2), "w", buffering=1, encoding="utf-8", errors="replace"))
    handler.setFormatter(logging.Formatter("[minikernel %(levelname)s %(asctime)s] %(message)s", "%H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(log_level)
    log.propagate = False
    # matplotlib's default backend: ours, unless the user chose one (matplotlib is not imported here).
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    info = connection.load(connection_file) if connection_file else connection.new_info()
    if not info.key:
        log.warning("the connection file has an empty key: messages are not signed")
    kernel = KernelProcess(info, options)
    if not connection_file:
        kernel.written_file = connection.write(info)
        print(f"minikernel: connection file {kernel.written_file}\n"
              f"  attach with: jupyter console --existing {kernel.written_file}", file=sys.__stdout__, flush=True)
    kernel.run()
