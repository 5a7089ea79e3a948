"""Running compiled cells: plain code inline; a cell that awaits as a task on the kernel's loop.

And what SIGINT does to each (`on_sigint`):
- plain code runs: KeyboardInterrupt is raised in it;
- an awaiting cell is suspended (the loop is serving other messages): its task is cancelled,
  and the cell ends with KeyboardInterrupt;
- nothing runs: the interrupt is ignored.
"""

from __future__ import annotations

import os
import sys
from types import CodeType

from .hooks import restore_after_user_code
from .transform import is_coroutine_code


class Runner:
    def __init__(self, namespace: dict, loop: asyncio.AbstractEventLoop | None = None):
        self.namespace = namespace
        # The kernel's loop, running whenever the kernel is. Without one (tests, embedding),
        # awaiting cells are run to completion on a private loop.
        self.loop = loop
        self.in_plain_code = False
        self.task: asyncio.Future | None = None
        self._interrupted = False
        self.pid = os.getpid()  # a process that returns here with another pid was forked by a cell

    def can_await(self) -> bool:
        return self.loop is not None and self.loop.is_running()

    def run(self, parts: list[CodeType]) -> None:
        """Run a cell to the end (raises what the user code raises)."""
        try:
            for code in parts:
                if is_coroutine_code(code):
                    self._private_loop().run_until_complete(eval(code, self.namespace))
                else:
                    self._exec(code)
        finally:
            self._leave_if_forked()

    async def run_async(self, parts: list[CodeType]) -> None:
        """Run a cell that awaits, as a task of the kernel's loop."""
        import asyncio

        self.task = asyncio.current_task()
        self._interrupted = False
        try:
            for code in parts:
                if is_coroutine_code(code):
                    await eval(code, self.namespace)
                else:
                    self._exec(code)
        except asyncio.CancelledError:
            if self._interrupted:
                raise KeyboardInterrupt from None
            raise
        finally:
            self._leave_if_forked()
            restore_after_user_code()
            self.task = None

    def evaluate(self, code: CodeType):
        """The value of an expression (user_expressions), as plain code."""
        return self._exec(code, eval)

    def blocks(self, loop) -> bool:
        """True while `loop` is the kernel's and plain user code holds it (hooks.nested_event_loops
        then lets that code start a loop of its own, e.g. with asyncio.run())."""
        return self.in_plain_code and loop is self.loop

    def _exec(self, code: CodeType, run=exec):
        return self.call(run, code, self.namespace)

    def call(self, fn, *args):
        """Call user code as plain code (cells, and comm callbacks from the kernel): SIGINT raises
        KeyboardInterrupt in it, and it may start an event loop of its own."""
        import asyncio  # (asyncio loads after start-up: see app.KernelProcess.run)

        running = asyncio.events._get_running_loop()
        saved, self.in_plain_code = self.in_plain_code, True
        try:
            return fn(*args)
        finally:
            self._leave_if_forked()
            restore_after_user_code()
            self.in_plain_code = saved
            # A nested loop (asyncio.run) resets the running loop and the thread's loop as it ends.
            asyncio.events._set_running_loop(running)
            if self.loop is not None:
                asyncio.set_event_loop(self.loop)

    def _leave_if_forked(self) -> None:
        """A child forked by user code (os.fork() in a cell) that comes back to the kernel at the
        end of its code must not go on to run the kernel (serve requests, send on sockets that
        belong to its parent): it ends here, with the status of its code (README, "Hostile code")."""
        if os.getpid() == self.pid:
            return
        error = sys.exc_info()[1]
        status = 0
        if isinstance(error, SystemExit):
            status = error.code if isinstance(error.code, int) else (error.code is not None)
        elif error is not None:
            import traceback

            traceback.print_exception(error)
            status = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status)

    def _private_loop(self) -> asyncio.AbstractEventLoop:
        import asyncio

        if self.loop is None:
            self.loop = asyncio.new_event_loop()
        return self.loop

    def on_sigint(self) -> bool:
        """Called by the SIGINT handler on the main thread; True if the interrupt was used."""
        if self.in_plain_code:
            raise KeyboardInterrupt
        task = self.task
        if task is None or task.done():
            return False
        import asyncio

        if asyncio.current_task(self.loop) is task:  # the cell is running, not suspended
            raise KeyboardInterrupt
        self._interrupted = True
        self.loop.call_soon_threadsafe(task.cancel)
        return True
