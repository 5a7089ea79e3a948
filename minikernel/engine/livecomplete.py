"""Completion from the live namespace, without jedi: names, attributes (dir() of the live object,
so __dir__/__getattr__ and runtime attributes count), dict keys, keyword arguments, modules, paths.

`safe=True` is the cheap fallback that runs on the shell thread: no user code (no user __dir__, only
the keys of real dicts), and nothing scans the disk. `safe=False` runs in the completion worker and
may also call keys() of any mapping-like object, list sys.path and directories.
"""

from __future__ import annotations

import builtins
import inspect
import itertools
import keyword
import os
import pkgutil
import sys
import types
from dataclasses import dataclass
from typing import Callable, NamedTuple

from .context import Context, context_at
from .lookup import NotFound, attribute, attribute_kind, kind, lookup, signature, signature_text

MAX_KEYS = 10_000      # keys looked at in one dict-key completion
MAX_ENTRIES = 5_000    # directory entries looked at in one path completion
_KEY_TYPES = (str, bytes, int, float, bool, type(None))
_module_cache: dict[tuple, frozenset] = {}


@dataclass
class Candidate:
    """One completion: TEXT replaces code[start:cursor]. type/signature None = not known yet;
    `details()` gives (type, signature) on demand (it may be slow: jedi inference)."""
    text: str
    start: int
    type: str | None = None
    signature: str | None = None
    details: Callable[[], tuple[str, str]] | None = None


class Live(NamedTuple):
    candidates: list[Candidate]
    final: bool  # nothing to add: every name of a live object (jedi would list the same dir())


def complete(code: str, cursor: int, ns: dict, *, safe: bool = False, context: Context | None = None) -> Live:
    ctx = context or context_at(code, cursor)
    handler = _HANDLERS.get(ctx.kind)
    found = handler(ctx, cursor, ns, safe) if handler else []
    return found if isinstance(found, Live) else Live(found, False)


def visible(name: str, prefix: str) -> bool:
    """Private names only when the typed prefix asks for them."""
    return prefix.startswith("_") or not name.startswith("_")


def _live(text: str, start: int, obj) -> Candidate:
    what = kind(obj)
    if what in ("function", "class"):
        return Candidate(text, start, what, None, lambda: (what, signature_text(obj)))
    return Candidate(text, start, what, "")


def _names(ctx: Context, cursor: int, ns: dict, safe: bool) -> list[Candidate]:
    start = cursor - len(ctx.prefix)
    found = _parameters(ctx, start, ns) if ctx.callee else []
    pool = {**builtins.__dict__, **ns}
    for name, obj in pool.items():
        if isinstance(name, str) and name.startswith(ctx.prefix) and visible(name, ctx.prefix):
            found.append(_live(name, start, obj))
    found += [Candidate(w, start, "keyword", "") for w in keyword.kwlist if w.startswith(ctx.prefix)]
    return found


def _parameters(ctx: Context, start: int, ns: dict) -> list[Candidate]:
    try:
        sig = signature(lookup(ctx.callee, ns, descriptor_ok=False))
    except NotFound:
        return []
    ok = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = [] if sig is None else [name for name, p in sig.parameters.items() if p.kind in ok]
    return [Candidate(f"{p}=", start, "param", "") for p in params
            if p.startswith(ctx.prefix) and p not in ctx.given]


def _attributes(ctx: Context, cursor: int, ns: dict, safe: bool) -> Live:
    try:
        obj = lookup(ctx.target, ns, descriptor_ok=False)
        names = attribute_names(obj, safe)
    except Exception:
        return Live([], False)
    start, found = cursor - len(ctx.prefix), []
    for name in names:
        if isinstance(name, str) and name.startswith(ctx.prefix) and visible(name, ctx.prefix):
            what = attribute_kind(obj, name)
            details = (lambda o=obj, n=name, w=what: (w, signature_text(attribute(o, n)))) \
                if what in ("function", "class") else None
            found.append(Candidate(name, start, what, None if details else "", details))
    return Live(found, True)


def attribute_names(obj, safe: bool) -> list[str]:
    """dir(obj), which runs a user __dir__ (dynamic attributes are the point), and for a class its
    metaclass's attributes too (mro, ...), as jedi lists them. Safe: a user-defined __dir__ (or a
    module's __dir__ function) is not called; the C-level dir of the object is used instead."""
    is_class = issubclass(type(obj), type)
    if not safe:
        names = dir(obj)
    elif isinstance(obj, types.ModuleType):
        names = list(vars(obj))
    elif isinstance(inspect.getattr_static(type(obj), "__dir__", None), types.FunctionType):
        names = type.__dir__(obj) if is_class else object.__dir__(obj)
    else:
        names = dir(obj)
    return list(dict.fromkeys(names + dir(type(obj)))) if is_class else names


def _keys(ctx: Context, cursor: int, ns: dict, safe: bool) -> Live:
    try:
        obj = lookup(ctx.target, ns, descriptor_ok=False)
        keys = _key_list(obj, safe)
    except Exception:
        return Live([], False)
    if not ctx.quote:  # `d[`: names may follow too, jedi adds them
        texts = [repr(k) for k in keys if type(k) in _KEY_TYPES]
        return Live([Candidate(t, cursor, "dict key", "") for t in dict.fromkeys(texts)], False)
    texts = [quoted(k, ctx.quote) for k in keys if isinstance(k, str)]
    start = cursor - len(ctx.prefix)
    found = [Candidate(t, start, "dict key", "") for t in dict.fromkeys(texts) if t.startswith(ctx.prefix)]
    return Live(found, bool(found))


def _key_list(obj, safe: bool) -> list:
    if isinstance(obj, dict) and type(obj).keys is dict.keys:
        return list(itertools.islice(dict.keys(obj), MAX_KEYS))
    if safe:
        return []  # keys() of anything else is user code: only in the worker
    keys = getattr(obj, "keys", None)
    source = keys() if callable(keys) else getattr(obj, "columns", None)
    return [] if source is None else list(itertools.islice(iter(source), MAX_KEYS))


def quoted(key: str, quote: str) -> str:
    """KEY as it reads between two QUOTE characters."""
    text = repr(key)
    body = text[1:-1]
    if text[0] == quote:
        return body
    if quote == '"':
        body = body.replace("\\'", "'")
    return body.replace(quote, "\\" + quote)


def _paths(ctx: Context, cursor: int, ns: dict, safe: bool) -> list[Candidate]:
    if safe:
        return []
    folder, base = os.path.split(ctx.prefix)
    try:
        with os.scandir(os.path.expanduser(folder) or ".") as entries:
            found = [e.name + "/" if e.is_dir() else e.name for e in itertools.islice(entries, MAX_ENTRIES)
                     if e.name.startswith(base) and (base.startswith(".") or not e.name.startswith("."))]
    except OSError:
        return []
    return [Candidate(text, cursor - len(base), "path", "") for text in found]


def _modules(ctx: Context, cursor: int, ns: dict, safe: bool) -> list[Candidate]:
    names = submodules(ctx.target, safe) if ctx.target else top_level_modules(safe)
    start = cursor - len(ctx.prefix)
    return [Candidate(n, start, "module", "") for n in names
            if n.startswith(ctx.prefix) and visible(n, ctx.prefix) and n.isidentifier()]


def _from_import(ctx: Context, cursor: int, ns: dict, safe: bool) -> Live:
    """Names of an imported module: its vars() are the truth (jedi reads stubs, which list names
    this Python lacks, e.g. collections.Callable), plus its submodules."""
    module = sys.modules.get(ctx.target)
    if module is None:  # importing it would run it: jedi reads it instead
        return Live([], False)
    start = cursor - len(ctx.prefix)
    found = {n: _live(n, start, v) for n, v in vars(module).items()
             if isinstance(n, str) and n.startswith(ctx.prefix) and visible(n, ctx.prefix)}
    for name in submodules(ctx.target, safe):
        if name.startswith(ctx.prefix) and visible(name, ctx.prefix):
            found.setdefault(name, Candidate(name, start, "module", ""))
    return Live(list(found.values()), not safe)


def top_level_modules(safe: bool) -> set[str]:
    names = set(sys.builtin_module_names) | {m.partition(".")[0] for m in list(sys.modules)}
    if not safe:
        key = tuple(sys.path)
        if key not in _module_cache:
            _module_cache.clear()
            _module_cache[key] = frozenset(m.name for m in pkgutil.iter_modules())
        names |= _module_cache[key]
    return names


def submodules(package: str, safe: bool) -> set[str]:
    """Submodules of an imported package (never imports anything)."""
    parent = sys.modules.get(package)
    if parent is None:
        return set()
    names = {m[len(package) + 1:].partition(".")[0] for m in list(sys.modules) if m.startswith(package + ".")}
    path = vars(parent).get("__path__")
    if not safe and path is not None:
        names |= {m.name for m in pkgutil.iter_modules(list(path))}
    return names


_HANDLERS = {"name": _names, "attribute": _attributes, "key": _keys, "path": _paths,
             "module": _modules, "from_import": _from_import}
