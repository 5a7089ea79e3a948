"""Exceptions -> the `error` content: ename, evalue and a coloured traceback naming cells.

Frames of the kernel itself before the first user frame are hidden; cells are shown as
"Cell In[3], line 2" with the surrounding source lines, like the usual Python kernels.
"""

from __future__ import annotations

import linecache
import os
import traceback
from types import TracebackType

from .cells import CellRegistry
from .events import ErrorOutput

KERNEL_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RED, GREEN, CYAN, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"
RULE = "-" * 75
CONTEXT = 2  # source lines shown before and after the failing one


def _safe_str(value: BaseException) -> str:
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__} object>"


def strip_kernel_frames(tb: TracebackType | None, cells: CellRegistry) -> TracebackType | None:
    """Start at the first cell frame (hiding the kernel and e.g. asyncio's runner above it);
    failing that, after the kernel's own frames."""
    first = tb
    while first is not None and cells.number(first.tb_frame.f_code.co_filename) is None:
        first = first.tb_next
    if first is not None:
        return first
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(KERNEL_DIR):
        tb = tb.tb_next
    return tb


def _location(filename: str, lineno: int | None, name: str, cells: CellRegistry, args: str = "") -> str:
    number = cells.number(filename)
    args = args or "()"  # %xmode Verbose gives the call's arguments: "(x=1, y=2)"
    if number is not None:
        where = f"{GREEN}Cell In[{number}], line {lineno}{RESET}"
        return where if name == "<module>" else f"{where}, in {CYAN}{name}{args}{RESET}"
    return f"File {GREEN}{filename}:{lineno}{RESET}, in {CYAN}{name}{args}{RESET}"


def _source_block(filename: str, lineno: int | None) -> list[str]:
    if not lineno:
        return []
    lines = []
    first = max(1, lineno - CONTEXT)
    width = len(str(lineno + CONTEXT))
    for n in range(first, lineno + CONTEXT + 1):
        line = linecache.getline(filename, n)
        if not line:
            if n > lineno:
                break
            continue
        line = line.rstrip("\n")
        if n == lineno:
            lines.append(f"{GREEN}----> {n:>{width}}{RESET} {line}")
        else:
            lines.append(f"      {GREEN}{n:>{width}}{RESET} {line}")
    return lines


def _frames(te: traceback.TracebackException, cells: CellRegistry, mode: str = "Context",
            values: list | None = None) -> list[str]:
    blocks = []
    for i, frame in enumerate(te.stack):
        if frame.filename.startswith(KERNEL_DIR):  # e.g. the SIGINT handler that raised
            continue
        where = _location(frame.filename, frame.lineno, frame.name, cells, values[i][0] if values else "")
        if mode == "Plain":  # as Python prints it: the location and the failing line only
            blocks.append(f"  {where}\n    {(frame.line or '').strip()}\n")
            continue
        block = [where]
        block += _source_block(frame.filename, frame.lineno)
        block += values[i][1] if values else []
        blocks.append("\n".join(block) + "\n")  # a blank line between frames, as IPython does
    return blocks


def _short_repr(value) -> str:
    try:
        text = repr(value)
    except Exception as e:
        return f"<repr() failed: {type(e).__name__}>"
    return text if len(text) <= 200 else text[:100] + " ... " + text[-95:]


def _frame_values(tb: TracebackType | None, stack) -> list:
    """%xmode Verbose: for each frame, its arguments for the header ("(x=1, y=2)") and the
    values of the names on its failing line ("        y = 2"), repr'd now (frames are cleared)."""
    import inspect
    import keyword
    import re

    out = []
    for (frame, _), summary in zip(traceback.walk_tb(tb), stack):
        args = ""
        if frame.f_code.co_name != "<module>":
            info = inspect.getargvalues(frame)
            args = inspect.formatargvalues(*info, formatvalue=lambda v: "=" + _short_repr(v))
        names = dict.fromkeys(n for n in re.findall(r"[A-Za-z_]\w*", summary.line or "")
                              if not keyword.iskeyword(n))
        found = []
        for name in names:
            for scope in (frame.f_locals, frame.f_globals):
                if name in scope:
                    found.append(f"        {name} = {_short_repr(scope[name])}")
                    break
        out.append((args, found))
    return out


def _syntax_error(te: traceback.TracebackException, cells: CellRegistry) -> list[str]:
    number = cells.number(te.filename or "")
    where = f"Cell In[{number}], line {te.lineno}" if number is not None else f"File {te.filename}:{te.lineno}"
    lines = [f"  {GREEN}{where}{RESET}"]
    if te.text:
        text = te.text.rstrip("\n")
        stripped = text.lstrip()
        lines.append(f"    {stripped}")
        if te.offset:
            start = max(te.offset - 1 - (len(text) - len(stripped)), 0)
            end = te.end_offset - 1 - (len(text) - len(stripped)) if te.end_offset else start + 1
            lines.append("    " + " " * start + f"{RED}" + "^" * max(end - start, 1) + f"{RESET}")
    lines.append(f"{RED}{te.exc_type.__name__}{RESET}: {te.msg}")
    return ["\n".join(lines)]


def _one(te: traceback.TracebackException, cells: CellRegistry, mode: str = "Context",
         values: list | None = None) -> list[str]:
    name = te.exc_type.__name__ if te.exc_type else "Exception"
    if te.exc_type and issubclass(te.exc_type, SyntaxError) and not te.stack:
        return _syntax_error(te, cells)
    if mode == "Plain":
        return ["Traceback (most recent call last):\n", *_frames(te, cells, mode), _last_line(te)]
    header = f"{RED}{RULE}{RESET}\n{RED}{name:<42}{RESET}Traceback (most recent call last)\n"
    return [header, *_frames(te, cells, mode, values), _last_line(te)]


def _last_line(te: traceback.TracebackException) -> str:
    text = "".join(te.format_exception_only()).rstrip("\n")
    name, sep, rest = text.partition(":")
    return f"{RED}{BOLD}{name}{RESET}{sep}{rest}"


def format_exception(exc: BaseException, cells: CellRegistry, mode: str = "Context") -> ErrorOutput:
    """mode (%xmode): "Context" (source lines around each frame), "Plain" (as Python prints it),
    "Verbose" (Context plus the values of the names on each failing line), "Minimal" (the
    last line only)."""
    from .magics.registry import UsageError

    if isinstance(exc, UsageError):  # bad use of a magic: the message, no kernel traceback
        message = _safe_str(exc)
        return ErrorOutput("UsageError", message, [f"{RED}UsageError{RESET}: {message}"])
    tb = strip_kernel_frames(exc.__traceback__, cells)
    if isinstance(exc, SyntaxError) and cells.number(exc.filename or "") is not None:
        tb = None  # the cell failed to compile: the compiler's frames say nothing to the user
    te = traceback.TracebackException(type(exc), exc, tb, compact=True)
    if mode == "Minimal":  # the last line (a cell's SyntaxError keeps its "Cell In[n]" caret)
        traceback.clear_frames(exc.__traceback__)
        syntax = isinstance(exc, SyntaxError) and not te.stack
        return ErrorOutput(type(exc).__name__, _safe_str(exc),
                           _syntax_error(te, cells) if syntax else [_last_line(te)])
    chain, link_exc, link_tb = [], exc, tb  # the exceptions walked along, for Verbose's values
    while te is not None:  # innermost last, like Python
        chain.append((te, _frame_values(link_tb, te.stack) if mode == "Verbose" else None))
        if te.__cause__ is not None:
            te, link_exc = te.__cause__, link_exc.__cause__
        elif te.__context__ is not None and not te.__suppress_context__:
            te, link_exc = te.__context__, link_exc.__context__
        else:
            te = None
        link_tb = getattr(link_exc, "__traceback__", None)
    lines: list[str] = []
    for i, (link, values) in enumerate(reversed(chain)):
        if i:
            cause = chain[len(chain) - 1 - i][0].__cause__ is not None
            lines.append("\nThe above exception was the direct cause of the following exception:\n" if cause
                         else "\nDuring handling of the above exception, another exception occurred:\n")
        lines += _one(link, cells, mode, values)
    traceback.clear_frames(exc.__traceback__)  # let `del x` free what the failed cell held
    return ErrorOutput(type(exc).__name__, _safe_str(exc), lines)
