"""What the rewritten lines call: `__minikernel__.line(...)`, `.cell(...)`, `.system(...)`,
`.getoutput(...)`, `.help(...)` (see preprocess.py). One MagicRunner per Executor; engine/hooks.py
installs it as the builtin `__minikernel__` (so the user namespace gets no new name) and in the
hook slot below, through which `minikernel.magics` and the get_ipython() shim reach the kernel's
registry.
"""

from __future__ import annotations

import sys

from .registry import UsageError

BUILTIN = "__minikernel__"

# The hook slot: the running kernel's MagicRunner. Only hooks.magics_installed sets it.
_hook: list = [None]


def current_runner() -> "MagicRunner | None":
    return _hook[0]


def _caller_locals(depth: int) -> dict | None:
    """The locals of the frame `depth` levels above the caller, None at module level."""
    frame = sys._getframe(depth + 1)
    return None if frame.f_locals is frame.f_globals else frame.f_locals


class MagicRunner:
    def __init__(self, executor):
        self.executor = executor

    @property
    def registry(self):
        return self.executor.magics

    def context(self, local_ns: dict | None = None, body: str | None = None, body_line: int = 1):
        from .context import MagicContext

        return MagicContext(self.executor, local_ns, body, body_line)

    # -- called by rewritten lines (the caller's frame gives the locals for interpolation) ------
    def line(self, name: str, args: str = ""):
        return self.run_line(name, args, _caller_locals(1))

    def cell(self, name: str, args: str, body: str, body_line: int = 2):
        return self.run_cell(name, args, body, _caller_locals(1), body_line)

    def system(self, cmd: str) -> None:
        """`!cmd`: exit status in the user namespace as `_exit_code` (as IPython does)."""
        ctx = self.context(_caller_locals(1))
        self.executor.namespace["_exit_code"] = ctx.system(ctx.interpolate(cmd))

    def getoutput(self, cmd: str):
        ctx = self.context(_caller_locals(1))
        return ctx.getoutput(ctx.interpolate(cmd))

    def help(self, target: str, detail: int = 0) -> None:
        from .help import show_help

        show_help(self.context(_caller_locals(1)), target, detail)

    # -- by name --------------------------------------------------------------------------------
    def run_line(self, name: str, args: str = "", local_ns: dict | None = None):
        magic = self.registry.find(name, "line")
        if magic is None:
            raise UsageError(self._not_found(name, "line"))
        ctx = self.context(local_ns)
        return magic.fn(ctx, ctx.interpolate(args) if magic.interpolate else args)

    def run_cell(self, name: str, args: str, body: str, local_ns: dict | None = None, body_line: int = 2):
        magic = self.registry.find(name, "cell")
        if magic is None:
            raise UsageError(self._not_found(name, "cell"))
        ctx = self.context(local_ns, body, body_line)
        return magic.fn(ctx, ctx.interpolate(args) if magic.interpolate else args, body)

    def _not_found(self, name: str, kind: str) -> str:
        prefix, other = ("%", "cell") if kind == "line" else ("%%", "line")
        text = f"{kind.capitalize()} magic function `{prefix}{name}` not found."
        if self.registry.find(name, other) is not None:
            there = f"%%{name}" if other == "cell" else f"%{name}"
            text += f" There is a {other} magic `{there}`" + (
                " (on the first line of a cell, with the body below)." if other == "cell" else ".")
        return text + " Run %lsmagic to list the magics available."
