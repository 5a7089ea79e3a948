"""What the debugger panels show of the kernel: the user's variables without stopping anything,
the user's frames, the loaded modules.

inspectVariables (Jupyter addition to DAP, messaging spec "Debug request") answers from the
user namespace directly: the kernel's own names and IPython-style history (In, Out, _N, _iN)
are not the user's variables.
"""

from __future__ import annotations

import os
import re
import reprlib
import sys

# Names the kernel (or an IPython-compatible shim) puts in the namespace.
HIDDEN = frozenset({
    "__name__", "__doc__", "__package__", "__loader__", "__spec__", "__annotations__", "__builtins__",
    "__builtin__", "__file__", "__cached__", "__display__", "In", "Out", "_ih", "_oh", "_dh",
    "_", "__", "___", "_i", "_ii", "_iii", "exit", "quit", "get_ipython",
})
_HISTORY = re.compile(r"_i?\d+$")  # _3 (Out[3]) and _i3 (In[3])

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 200
_repr.maxlevel = 3


def visible(name: str) -> bool:
    return name not in HIDDEN and not _HISTORY.match(name)


def short_repr(value) -> str:
    try:
        return _repr.repr(value)
    except Exception as e:  # a user __repr__ that fails must not fail the listing
        return f"<repr failed: {type(e).__name__}>"


def type_name(value) -> str:
    kind = type(value)
    module = getattr(kind, "__module__", "builtins")
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def user_variables(namespace: dict) -> list[dict]:
    """DAP Variable objects for the user's names, in definition order."""
    result = []
    for name, value in list(namespace.items()):  # a copy: a running cell may add names meanwhile
        if isinstance(name, str) and visible(name):
            result.append({"name": name, "value": short_repr(value), "type": type_name(value),
                           "evaluateName": name, "variablesReference": 0})
    return result


def only_visible(variables: list) -> list:
    return [v for v in variables if not isinstance(v, dict) or visible(str(v.get("name", "")))]


def user_frames(frames: list, kernel_dir: str, cell_prefix: str) -> list:
    """DAP StackFrames without the kernel's own, nor those below the outermost cell frame
    (the kernel's callers: runpy, asyncio)."""
    def path(frame):
        return str((frame.get("source") or {}).get("path") or "") if isinstance(frame, dict) else ""

    kept = [f for f in frames if not path(f).startswith(kernel_dir + os.sep)]
    cells = [i for i, f in enumerate(kept) if path(f).startswith(cell_prefix)]
    return kept[:cells[-1] + 1] if cells else kept


def loaded_modules(start: int = 0, count: int = 0) -> dict:
    """The body of a DAP `modules` response: modules with a .py file (JupyterLab's kernel
    sources panel), paged by index into sys.modules (count 0: all)."""
    modules = list(sys.modules.items())
    window = modules[start:start + count] if count > 0 else modules[start:]
    found = []
    for index, (name, module) in enumerate(window, start):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            found.append({"id": index, "name": name, "path": path})
    return {"modules": found, "totalModules": len(modules)}
