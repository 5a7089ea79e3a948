"""MagicContext: what a magic function may use (the contract between the kernel and magics).

One is made for each magic call. `namespace` is the user namespace; `local_ns` the locals of the
frame the magic line ran in (a magic line inside a function body sees that function's locals,
for interpolation only).
"""

from __future__ import annotations

import ast
from types import CodeType

from .. import transform

FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


def _python(source: str, mode: str) -> str:
    """Cell text -> Python (preprocess.py); expressions ("eval") are left alone."""
    if mode != "exec":
        return source
    from .preprocess import transform

    return transform(source)


class MagicContext:
    def __init__(self, executor, local_ns: dict | None = None, body: str | None = None,
                 body_line: int = 1):
        self.executor = executor
        self.local_ns = local_ns
        # A cell magic's body and the cell line it starts on: code compiled from exactly that
        # text keeps the cell's line numbers in tracebacks.
        self._body, self._body_line = body, body_line

    # -- the user's world -----------------------------------------------------------------------
    @property
    def namespace(self) -> dict:
        return self.executor.namespace

    @property
    def registry(self):
        return self.executor.magics

    @property
    def history(self):
        """The kernel's HistoryStore (history.py), or None."""
        return self.executor.store

    def interpolate(self, text: str) -> str:
        """`$name`, `$$` and `{expression}` expanded in the user namespace (and local names)."""
        from .interpolate import interpolate

        return interpolate(text, self.namespace, self.local_ns)

    # -- running code ---------------------------------------------------------------------------
    def compile(self, source: str, mode: str = "exec") -> CodeType:
        """Compile cell text (magics and `!cmd` lines in it work, as in a cell) with a registered
        cell filename (tracebacks show "Cell In[n]", inspect finds the source). Top-level await
        is allowed."""
        filename, python = self.register_source(source, mode)
        return compile(python, filename, mode, FLAGS, dont_inherit=True)

    def run(self, source: str, filename: str | None = None, namespace: dict | None = None):
        """Run cell text (its last expression is not displayed) in the user namespace, or in
        `namespace`. With a `filename` (a script: %run), the source is plain Python, compiled
        under that name. Exceptions propagate."""
        if filename is None:
            filename, source = self.register_source(source)
        code = compile(source, filename, "exec", FLAGS, dont_inherit=True)
        return self.exec(code, namespace)

    def exec(self, code: CodeType, namespace: dict | None = None):
        """Run compiled code (from ctx.compile) in the user namespace or `namespace`."""
        ns = self.namespace if namespace is None else namespace
        if transform.is_coroutine_code(code):
            import asyncio

            # The kernel's loop is blocked in this plain code: a private loop runs the awaits
            # (hooks.nested_event_loops lets it start).
            loop = asyncio.new_event_loop()
            try:
                return loop.run_until_complete(eval(code, ns))
            finally:
                loop.close()
        return self.executor.runner.call(exec, code, ns)

    def register_source(self, source: str, mode: str = "exec") -> tuple[str, str]:
        """A cell filename for cell text `source`, and the Python to compile: magic lines
        rewritten (preprocess.py), padded with blank lines when it is the running cell magic's
        body, so line numbers are the cell's."""
        cells = self.executor.cells
        number = self.executor.execution_count
        if self._body is not None and source == self._body and self._body_line > 1:
            full = self.executor.current_code or source
            return cells.register(full, number), _python("\n" * (self._body_line - 1) + source, mode)
        return cells.register(source, number), _python(source, mode)

    _register = register_source

    # -- output ---------------------------------------------------------------------------------
    def display(self, obj, raw: bool = False, **kwargs) -> None:
        """As display(): through the display hook, so a surrounding %%capture keeps it."""
        from ..display import display

        display(obj, raw=raw, **kwargs)

    def clear_output(self, wait: bool = False) -> None:
        from ..display import clear_output

        clear_output(wait)

    def page(self, content: str | dict) -> None:
        """Show help-like text in the frontend's pager (payload "page", messaging spec:
        execute_reply payloads); JupyterLab and jupyter console show it. A dict is a mimebundle."""
        data = {"text/plain": content} if isinstance(content, str) else dict(content)
        self.executor.page(data)

    def set_next_input(self, text: str, replace: bool = False) -> None:
        """Put `text` into the next input cell (payload "set_next_input")."""
        self.executor.add_payload({"source": "set_next_input", "text": str(text), "replace": bool(replace)})

    # -- shell ----------------------------------------------------------------------------------
    def system(self, cmd: str) -> int:
        """Run `cmd` through the shell, its output streamed into the cell; returns the exit status
        (negative: killed by that signal). Interrupt terminates the command's process group."""
        from . import shell

        return shell.system(cmd)

    def getoutput(self, cmd: str):
        """Run `cmd` through the shell; its output (stdout and stderr) as an SList of lines."""
        from . import shell

        return shell.getoutput(cmd)
