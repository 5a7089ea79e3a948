"""Your own magics in the running kernel (no IPython needed).

    from minikernel.magics import line_magic, cell_magic, line_cell_magic, registry

    @line_magic
    def shout(line):                 # %shout hello $name  ->  'HELLO ALICE'
        return line.upper()

    @cell_magic("rev")              # a name other than the function's
    def reverse_lines(line, cell):   # %%rev  (first line of a cell; the rest is `cell`)
        print("\\n".join(reversed(cell.splitlines())))

    @line_cell_magic
    def count(line, cell=None):      # %count a b c  or  %%count ...
        return len((cell or line).split())

    registry().names("line")         # every line magic's name; .find(name, "cell"), .magics()

The functions take IPython's arguments: `(line)`, `(line, cell)`, `(line, cell=None)`. `line` has
`$name`, `$$` and `{expression}` already expanded (`interpolate=False` to get it untouched). What a
line magic returns is shown like an expression's value when it is the cell's last line. Raise
`UsageError("message")` for bad arguments: the cell shows `UsageError: message`, no traceback.
A magic registered under an existing name replaces it (the built-in one too) for this kernel.
"""

from __future__ import annotations

from typing import Callable

from .engine.magics.registry import UsageError
from .engine.magics.runner import current_runner

__all__ = ["line_magic", "cell_magic", "line_cell_magic", "registry", "unregister", "UsageError"]


def registry():
    """The running kernel's MagicRegistry: names(kind), find(name, kind), magics(kind), remove(name)."""
    runner = current_runner()
    if runner is None:
        raise RuntimeError("no minikernel kernel is running in this process")
    return runner.registry


def unregister(name: str, kind: str | None = None) -> bool:
    """Forget a magic (both kinds when `kind` is None); True if there was one."""
    return registry().remove(name, kind)


def _decorator(kinds: tuple[str, ...], name_or_fn, interpolate: bool):
    def register(fn: Callable, name: str | None = None) -> Callable:
        reg = registry()
        name = name or fn.__name__
        for kind in kinds:
            reg.add(name, _adapt(fn, kind, len(kinds) > 1), kind, interpolate=interpolate)
        return fn

    if callable(name_or_fn):
        return register(name_or_fn)
    return lambda fn: register(fn, name_or_fn)


def _adapt(fn: Callable, kind: str, both: bool) -> Callable:
    if kind == "line":
        def magic(ctx, line):
            return fn(line, None) if both else fn(line)
    else:
        def magic(ctx, line, cell):
            return fn(line, cell)
    magic.__doc__, magic.__wrapped__, magic.__name__ = fn.__doc__, fn, getattr(fn, "__name__", "magic")
    return magic


def line_magic(name_or_fn=None, *, interpolate: bool = True):
    """Register `fn(line)` as the line magic %name (default: the function's name)."""
    return _decorator(("line",), name_or_fn, interpolate)


def cell_magic(name_or_fn=None, *, interpolate: bool = True):
    """Register `fn(line, cell)` as the cell magic %%name."""
    return _decorator(("cell",), name_or_fn, interpolate)


def line_cell_magic(name_or_fn=None, *, interpolate: bool = True):
    """Register `fn(line, cell=None)` as both %name (cell is None) and %%name."""
    return _decorator(("line", "cell"), name_or_fn, interpolate)
