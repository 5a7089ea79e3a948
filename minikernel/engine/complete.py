"""Namespace completion and inspection, without jedi: names, attributes of live objects, keywords.

Cheap and never hangs; jedi (when it arrives) goes in front of it and falls back to it.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re

_DOTTED = re.compile(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\.(\w*)$")
_NAME = re.compile(r"[A-Za-z_]\w*$")


def _resolve(path: str, ns: dict):
    """Follow `a.b.c` through the namespace with getattr only (never calls user code paths
    other than attribute access)."""
    first, *rest = path.split(".")
    obj = ns[first] if first in ns else getattr(builtins, first)
    for part in rest:
        obj = getattr(obj, part)
    return obj


def complete(code: str, cursor_pos: int, ns: dict) -> tuple[list[str], int, int]:
    """(matches, cursor_start, cursor_end); positions count code points."""
    before = code[:cursor_pos]
    match = _DOTTED.search(before)
    if match:
        try:
            obj = _resolve(match.group(1), ns)
            names = dir(obj)
        except Exception:
            return [], cursor_pos, cursor_pos
        prefix = match.group(2)
        found = [n for n in names if n.startswith(prefix) and (prefix.startswith("_") or not n.startswith("_"))]
        return sorted(found), cursor_pos - len(prefix), cursor_pos
    match = _NAME.search(before)
    prefix = match.group(0) if match else ""
    if not prefix:
        return [], cursor_pos, cursor_pos
    pool = set(ns) | set(dir(builtins)) | set(keyword.kwlist)
    found = [n for n in pool if n.startswith(prefix) and (prefix.startswith("_") or not n.startswith("_"))]
    return sorted(found), cursor_pos - len(prefix), cursor_pos


def name_at(code: str, cursor_pos: int) -> str:
    """The dotted name under or just before the cursor (for inspect_request)."""
    start = cursor_pos
    while start > 0 and (code[start - 1].isalnum() or code[start - 1] in "._"):
        start -= 1
    end = cursor_pos
    while end < len(code) and (code[end].isalnum() or code[end] == "_"):
        end += 1
    name = code[start:end].strip(".")
    if not name and start > 0 and code[start - 1] == "(":  # inside a call: inspect the callee
        return name_at(code, start - 1)
    return name


def describe(obj, detail_level: int = 0) -> str:
    """Plain-text help: type, signature, docstring (and source at detail_level 1)."""
    lines = [f"Type:      {type(obj).__name__}"]
    if callable(obj):
        try:
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
            lines.append(f"Signature: {name}{inspect.signature(obj)}")
        except (TypeError, ValueError):
            pass
    else:
        text = repr(obj)
        lines.append(f"Value:     {text if len(text) < 200 else text[:200] + '...'}")
    doc = inspect.getdoc(obj)
    if doc:
        lines.append(f"Docstring:\n{doc}")
    if detail_level >= 1:
        try:
            lines.append(f"Source:\n{inspect.getsource(obj)}")
        except (TypeError, OSError):
            pass
    return "\n".join(lines)


def inspect_name(code: str, cursor_pos: int, ns: dict, detail_level: int = 0) -> str | None:
    name = name_at(code, cursor_pos)
    if not name:
        return None
    try:
        obj = _resolve(name, ns)
    except Exception:
        return None
    return describe(obj, detail_level)
