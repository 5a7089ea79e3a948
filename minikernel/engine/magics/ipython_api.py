"""The magic part of the get_ipython() shim (engine/ipython_compat.py): IPython's method names,
served by the running kernel's MagicRunner (reached through its hook slot, runner.py).

IPython's function signatures are kept: a function given to register_magic_function takes
`(line)` (line magic), `(line, cell)` (cell magic) or `(line, cell=None)` (line_cell)."""

from __future__ import annotations

import sys

from .runner import current_runner


def _runner(what: str):
    runner = current_runner()
    if runner is None:
        raise NotImplementedError(f"{what}: no minikernel kernel is running in this process")
    return runner


def _locals(depth: int) -> dict | None:
    frame = sys._getframe(depth + 1)
    return None if frame.f_locals is frame.f_globals else frame.f_locals


def run_line_magic(name: str, line: str = "", stack_depth: int = 1):
    """`stack_depth`: frames above the caller of this function whose locals `$x` may use."""
    return _runner(f"%{name}").run_line(name, line, _locals(stack_depth + 1))


def run_cell_magic(name: str, line: str = "", cell: str = ""):
    return _runner(f"%%{name}").run_cell(name, line, cell, _locals(2))


def magic(arg_s: str = ""):
    """IPython's old `magic("name args")`."""
    name, _, rest = arg_s.strip().lstrip("%").partition(" ")
    return _runner(f"%{name}").run_line(name, rest.strip(), _locals(2))


def system(cmd: str) -> None:
    """Run in the shell, output into the cell; the status as `_exit_code`, as IPython does."""
    from . import shell

    runner = _runner(f"!{cmd}")
    runner.executor.namespace["_exit_code"] = shell.system(runner.context(_locals(2)).interpolate(cmd))


def getoutput(cmd: str, split: bool = True):
    from . import shell

    runner = _runner(f"!{cmd}")
    lines = shell.getoutput(runner.context(_locals(2)).interpolate(cmd))
    return lines if split else lines.n


def register_magic_function(func, magic_kind: str = "line", magic_name: str | None = None) -> None:
    name = magic_name or func.__name__
    registry = _runner(f"%{name}").registry
    if magic_kind not in ("line", "cell", "line_cell"):
        raise ValueError(f"magic_kind must be 'line', 'cell' or 'line_cell', not {magic_kind!r}")
    if magic_kind in ("line", "line_cell"):
        registry.add_line(name, _as_line(func))
    if magic_kind in ("cell", "line_cell"):
        registry.add_cell(name, _as_cell(func))


def _as_line(func):
    def line_magic(ctx, line):
        return func(line)

    line_magic.__doc__, line_magic.__wrapped__ = func.__doc__, func
    return line_magic


def _as_cell(func):
    def cell_magic(ctx, line, cell):
        return func(line, cell)

    cell_magic.__doc__, cell_magic.__wrapped__ = func.__doc__, func
    return cell_magic


def find_magic(name: str, kind: str = "line"):
    """A callable taking IPython's arguments ((line) or (line, cell)), or None."""
    runner = current_runner()
    if runner is None or runner.registry.find(name, kind) is None:
        return None
    if kind == "line":
        return lambda line="": runner.run_line(name, line)
    return lambda line="", cell="": runner.run_cell(name, line, cell)
