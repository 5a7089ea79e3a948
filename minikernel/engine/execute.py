"""Run cells: record input, compile, exec in the user namespace, display the last value.

    execute(code) -> ExecuteOutcome, emitting ExecuteInput, stream text, ExecuteResult and
    ErrorOutput along the way.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Awaitable, Callable

from . import display as display_
from . import hooks, inline_backend, transform
from .cells import CellRegistry
from .events import ExecuteInput, ExecuteOutcome, ExecuteResult
from .formatter import TextOptions, format_object, ipython_display
from .magics.registry import MagicRegistry
from .magics.runner import MagicRunner
from .namespace import Exiter, History, new_main_module
from .runner import Runner
from .streams import OutStream
from .tracebacks import format_exception


class StdinNotImplementedError(NotImplementedError):
    """input() was called in a request that does not allow stdin (allow_stdin false)."""


def _drop(event) -> None:
    pass


class Executor:
    """The interpreter: owns the user namespace and the execution counter."""

    def __init__(self, emit: Callable, write: Callable[[str, str], None],
                 ask_input: Callable[[str, bool], str], cache_size: int = 1000, loop=None,
                 store=None):
        self._emit_out = emit
        self._emit = emit
        self._ask_input = ask_input
        self.main_module = new_main_module()
        self.namespace = self.main_module.__dict__
        self.history = History(self.namespace, cache_size)
        self.store = store  # the kernel's history store (store_input/store_output), if any
        # Steps at the end of every cell, in order, before its error and idle: show and close the
        # cell's matplotlib figures (a no-op until the inline backend loads); the kernel appends
        # the delivery of captured fd output.
        self.end_of_cell: list[Callable[[], None]] = [inline_backend.flush_figures]
        self._payload: list = []
        self.pager = True  # help (obj?) as a pager payload; False: as a display in the cell
        for name in ("exit", "quit"):
            self.namespace[name] = Exiter(name, self._ask_exit)
        self.cells = CellRegistry()
        self.stdout = OutStream("stdout", write)
        self.stderr = OutStream("stderr", write)
        self.execution_count = 0  # the number of the last cell that stored history
        self._cell = (0, False)  # (number, store_history) of the running cell, for displayhook
        self._allow_stdin = True
        self.runner = Runner(self.namespace, loop)
        # Settings the magics change (magics/settings.py, session.py): %precision's float format
        # (execute results and display()), %xmode's traceback mode, the loaded extensions.
        self.text_options = TextOptions()
        self.xmode = "Context"
        self.extensions: set[str] = set()
        self.displays = display_.DisplayPublisher(lambda event: self._emit(event), self.text_options)
        # Magics (engine/magics/): built-in ones load on first use; the runner is what rewritten
        # magic lines call, as the builtin `__minikernel__` that self.hooks() installs.
        self.magics = MagicRegistry()
        self.magic_runner = MagicRunner(self)
        self.current_code = ""  # the running cell's source, as typed

    # -- process-wide hooks -------------------------------------------------------------------
    @contextmanager
    def hooks(self):
        # (magics first: installed() takes the builtins as they are then, for repair())
        with hooks.magics_installed(self.magic_runner), \
                hooks.installed(self.stdout, self.stderr, self.displayhook, self.input, self.getpass,
                                self.display, self.main_module, self.displays):
            yield

    def _ask_exit(self, keep_kernel: bool) -> None:
        self.add_payload({"source": "ask_exit", "keepkernel": bool(keep_kernel)})

    def add_payload(self, item: dict) -> None:
        """A payload of this cell's execute_reply; one per source, the last one wins (spec:
        execute_reply payloads, as IPython's PayloadManager with single=True)."""
        self._payload = [p for p in self._payload if p.get("source") != item.get("source")]
        self._payload.append(item)

    def page(self, data: dict) -> None:
        """Help text for the frontend's pager (payload "page"; JupyterLab and jupyter console show
        it); with `pager` off, or in a silent cell, a display_data in the cell instead."""
        if self.pager and self._emit is not _drop:
            self.add_payload({"source": "page", "data": dict(data), "start": 0})
        else:
            display_.display(dict(data), raw=True)  # (through the hook: a %%capture keeps it)

    def displayhook(self, value) -> None:
        if value is None:
            return
        if isinstance(value, Exiter):  # a bare `exit` means exit(), as in IPython
            value()
            return
        number, store = self._cell
        # An object with _ipython_display_ shows itself (no execute_result), but is still Out[N].
        shown = ipython_display(value)
        data, metadata = ({}, {}) if shown else format_object(value, float_format=self.text_options.float_format)
        if store:
            self.history.record_output(number, value)
            if self.store is not None and not shown:
                self.store.store_output(number, data.get("text/plain", ""))
        if not shown:
            self._emit(ExecuteResult(number, data, metadata))

    # The `display()` builtin: minikernel.display.display itself. It reaches `self.displays`
    # through the display hook that self.hooks() installs (engine/display.py).
    display = staticmethod(display_.display)

    def input(self, prompt: object = "") -> str:
        return self._read_input(str(prompt), False)

    def getpass(self, prompt: str = "Password: ", stream=None) -> str:
        return self._read_input(prompt, True)

    def _read_input(self, prompt: str, password: bool) -> str:
        if not self._allow_stdin:
            raise StdinNotImplementedError("input() is not available: this frontend does not support stdin "
                                           "(the request was sent with allow_stdin=False)")
        return self._ask_input(prompt, password)

    # -- running cells ------------------------------------------------------------------------
    def execute(self, code: str, silent: bool = False, store_history: bool = True,
                allow_stdin: bool = True) -> ExecuteOutcome | Awaitable[ExecuteOutcome]:
        """Run a cell. A cell that awaits, when the kernel's loop runs, comes back as an
        awaitable outcome: the loop serves other requests while it is suspended."""
        store_history = store_history and not silent
        number = self.execution_count + 1
        if store_history:
            self.execution_count = number
            self.history.record_input(number, code)
            if self.store is not None:
                self.store.store_input(number, code)
        self._payload = []
        self._enter(silent, number, store_history, allow_stdin)
        self._emit(ExecuteInput(code, number))
        self.current_code = code
        try:
            from .magics import preprocess  # (not at start-up: its regexes cost 2 ms)

            source = preprocess.transform(code)  # magics, !cmd, obj? -> Python, line for line
            cell = transform.compile_cell(source, self.cells.register(code, number))
        except BaseException as e:  # SyntaxError, or e.g. MemoryError/RecursionError from the parser
            return self._finish(number, store_history, format_exception(e, self.cells, self.xmode))
        if cell.awaits and self.runner.can_await():
            return self._finish_later(cell, number, store_history)
        try:
            self.runner.run(cell.parts)
            error = None
        except BaseException as e:  # everything, SystemExit and KeyboardInterrupt included
            error = format_exception(e, self.cells, self.xmode)
        return self._finish(number, store_history, error)

    async def _finish_later(self, cell, number: int, store_history: bool) -> ExecuteOutcome:
        try:
            await self.runner.run_async(cell.parts)
            error = None
        except BaseException as e:  # CancelledError too: the cell is over either way
            error = format_exception(e, self.cells, self.xmode)
        return self._finish(number, store_history, error)

    def _enter(self, silent: bool, number: int, store_history: bool, allow_stdin: bool) -> None:
        hooks.repair(self.stdout, self.stderr, self.displayhook, self.display)
        self._emit = _drop if silent else self._emit_out
        self.stdout.muted = self.stderr.muted = silent
        self._cell, self._allow_stdin = (number, store_history), allow_stdin

    def _finish(self, number: int, store_history: bool, error) -> ExecuteOutcome:
        for step in self.end_of_cell:
            step()
        if error is not None:
            self._emit(error)
        self._emit = self._emit_out
        self.stdout.muted = self.stderr.muted = False
        return ExecuteOutcome(number if store_history else self.execution_count, error, self._payload)

    @property
    def in_user_code(self) -> bool:
        return self.runner.in_plain_code or self.runner.task is not None

    def evaluate(self, expressions: dict) -> dict:
        """user_expressions: each evaluated silently, each with its own status."""
        results = {}
        for name, expr in expressions.items():
            try:
                value = self.runner.evaluate(compile(str(expr), "<user_expression>", "eval"))
                data, metadata = format_object(value)
                results[name] = {"status": "ok", "data": data, "metadata": metadata}
            except BaseException as e:
                err = format_exception(e, self.cells)
                results[name] = {"status": "error", "ename": err.ename, "evalue": err.evalue,
                                 "traceback": err.traceback}
        return results
