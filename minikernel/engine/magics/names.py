"""%who, %who_ls, %whos, %reset, %reset_selective: the user's variables.

"The user's variables" are the names in the user namespace except those the kernel puts there
(In, Out, exit, quit, get_ipython: engine/namespace.py, engine/ipython_compat.py) and every name
starting with "_" (history variables _, _N, _iN, and private names).
"""

from __future__ import annotations

import re

from .options import parse_options
from .registry import UsageError

KERNEL_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})
CONFIRM = "Once deleted, variables cannot be recovered. Proceed (y/[n])? "
SEQUENCES = ("dict", "list", "tuple")


def user_names(ns: dict) -> list[str]:
    return sorted(n for n in ns if not n.startswith("_") and n not in KERNEL_NAMES)


def _typed(ns: dict, line: str) -> list[str]:
    types = line.split()
    return [n for n in user_names(ns) if not types or type(ns[n]).__name__ in types]


def who_ls(ctx, line: str) -> list:
    """Sorted list of the user's variables: %who_ls [type ...] (e.g. %who_ls int function)"""
    return _typed(ctx.namespace, line)


def who(ctx, line: str) -> None:
    """Print the user's variables: %who [type ...] (e.g. %who int str lists only those types)"""
    names = _typed(ctx.namespace, line)
    if not names:
        print("No variables match your requested type." if line.split() else "Interactive namespace is empty.")
        return
    rows = [names[i:i + 9] for i in range(0, len(names), 9)]  # as IPython: 9 names a line
    print("\n".join("\t ".join(row) + "\t " for row in rows))


def _info(value) -> str:
    kind = type(value).__name__
    if kind in SEQUENCES:
        return f"n={len(value)}"
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if kind == "ndarray" and shape is not None:
        size = getattr(value, "nbytes", 0)
        return f"{'x'.join(map(str, shape))}: {getattr(value, 'size', '?')} elems, type `{dtype}`, {size} bytes"
    try:
        text = str(value)
    except Exception as e:  # a broken __str__ must not break the table
        text = f"<str() failed: {type(e).__name__}>"
    text = text.replace("\n", "\\n")
    return text if len(text) < 50 else text[:25] + "<...>" + text[-25:]


def whos(ctx, line: str) -> None:
    """Table of the user's variables with type and value: %whos [type ...]"""
    ns = ctx.namespace
    names = _typed(ns, line)
    if not names:
        print("No variables match your requested type." if line.split() else "Interactive namespace is empty.")
        return
    types = [type(ns[n]).__name__ for n in names]
    name_w = max(len("Variable"), *map(len, names)) + 3
    type_w = max(len("Type"), *map(len, types)) + 3
    print("Variable".ljust(name_w) + "Type".ljust(type_w) + " Data/Info")
    print("-" * (name_w + type_w + len(" Data/Info")))
    for name, kind in zip(names, types):
        print(name.ljust(name_w) + kind.ljust(type_w) + " " + _info(ns[name]))


def _confirmed(ctx, force: bool) -> bool:
    """Ask as IPython does; a frontend without stdin (allow_stdin false) counts as "no"."""
    if force:
        return True
    try:
        answer = input(CONFIRM)
    except (EOFError, NotImplementedError):  # StdinNotImplementedError is a NotImplementedError
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def _flush_outputs(ns: dict) -> int:
    """Empty Out and the _N / _, __, ___ references to results (so they can be freed)."""
    out = ns.get("Out")
    count = len(out) if isinstance(out, dict) else 0
    if isinstance(out, dict):
        for number in list(out):
            ns.pop(f"_{number}", None)
        out.clear()
    for name in ("_", "__", "___"):
        ns[name] = ""
    return count


def reset(ctx, line: str) -> None:
    """Delete all the user's variables: %reset [-f] [in|out|dhist]

    -f    do not ask for confirmation (without stdin, no answer means no)
    out   only empty the output cache (Out, _N); in: only the input history (In, _iN);
    dhist only the directory history (_dh)
    In, Out, exit, quit and get_ipython stay and keep working."""
    opts, rest = parse_options(line, "f")
    targets = rest.split()
    unknown = [t for t in targets if t not in ("in", "out", "dhist")]
    if unknown:
        raise UsageError(f"%reset: unknown target {unknown[0]!r} (use in, out or dhist)")
    if not _confirmed(ctx, "f" in opts):
        print("Nothing done.")
        return
    ns = ctx.namespace
    if not targets:
        for name in user_names(ns):
            del ns[name]
        _flush_outputs(ns)
        return
    if "out" in targets:
        print(f"Flushing output cache ({_flush_outputs(ns)} entries)")
    if "in" in targets:
        print("Flushing input history")
        inputs = ns.get("In")
        if isinstance(inputs, list):
            inputs[1:] = [""] * (len(inputs) - 1)  # keep the numbering: In[n] is still cell n
        for name in [n for n in ns if re.fullmatch(r"_i+\d*", n)]:
            ns[name] = ""
    if "dhist" in targets:
        print("Flushing directory history")
        if isinstance(ns.get("_dh"), list):
            del ns["_dh"][:-1]


def reset_selective(ctx, line: str) -> None:
    """Delete the user's variables whose name matches a regular expression:
    %reset_selective [-f] regex   (re.search: `%reset_selective ^x` deletes x, x1, xs ...)"""
    opts, pattern = parse_options(line, "f")
    if not pattern:
        raise UsageError("%reset_selective needs a regular expression: %reset_selective [-f] regex")
    try:
        regex = re.compile(pattern)
    except re.error as e:
        raise UsageError(f"%reset_selective: bad regular expression {pattern!r}: {e}") from None
    if not _confirmed(ctx, "f" in opts):
        print("Nothing done.")
        return
    ns = ctx.namespace
    for name in user_names(ns):
        if regex.search(name):
            del ns[name]


def register(registry) -> None:
    registry.add_line("who", who)
    registry.add_line("who_ls", who_ls)
    registry.add_line("whos", whos)
    registry.add_line("reset", reset)
    registry.add_line("reset_selective", reset_selective, interpolate=False)  # a regex: `$` is an anchor
