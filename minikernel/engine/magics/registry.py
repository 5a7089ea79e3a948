"""The magics of one kernel: name -> function, for line (`%name`) and cell (`%%name`) magics.

A line magic is `fn(ctx, line) -> object`, a cell magic `fn(ctx, line, cell) -> object` (ctx: a
MagicContext, see context.py). Built-in magics come from the modules listed in builtin.py, loaded
the first time any magic is looked up or listed; a magic added later (by the user) replaces a
built-in one of the same name.
"""

from __future__ import annotations

import logging
from typing import Callable

from . import builtin

log = logging.getLogger("minikernel")
KINDS = ("line", "cell")


class UsageError(Exception):
    """Bad use of a magic (unknown name, bad arguments). The kernel shows `UsageError: message`
    as the cell's error, without a traceback."""


class Magic:
    """One registered magic. (A plain class: a dataclass costs a millisecond at kernel start.)"""
    __slots__ = ("name", "kind", "fn", "interpolate", "origin")

    def __init__(self, name: str, kind: str, fn: Callable, interpolate: bool = True, origin: str = "user"):
        self.name, self.kind, self.fn = name, kind, fn  # kind: "line" or "cell"
        self.interpolate = interpolate  # expand $var / {expr} in the arguments before the call
        self.origin = origin            # "builtin" or "user"

    def __repr__(self) -> str:
        prefix = "%" if self.kind == "line" else "%%"
        return f"<Magic {prefix}{self.name} ({self.origin})>"

    @property
    def doc(self) -> str:
        import inspect

        return inspect.getdoc(self.fn) or ""

    @property
    def summary(self) -> str:
        return (self.doc.strip().splitlines() or [""])[0]


class MagicRegistry:
    def __init__(self, modules: tuple[str, ...] = builtin.MODULES, package: str = __package__):
        self._magics: dict[str, dict[str, Magic]] = {kind: {} for kind in KINDS}
        self._modules, self._package = modules, package
        self._origin = "user"
        self.loaded = not modules

    # -- adding ---------------------------------------------------------------------------------
    def add_line(self, name: str, fn: Callable, *, interpolate: bool = True) -> None:
        self.add(name, fn, "line", interpolate=interpolate)

    def add_cell(self, name: str, fn: Callable, *, interpolate: bool = True) -> None:
        self.add(name, fn, "cell", interpolate=interpolate)

    def add(self, name: str, fn: Callable, kind: str = "line", *, interpolate: bool = True) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be 'line' or 'cell', not {kind!r}")
        if not callable(fn):
            raise TypeError(f"a magic must be callable, not {fn!r}")
        name = str(name).lstrip("%")
        if not name.isidentifier():
            raise ValueError(f"not a valid magic name: {name!r}")
        if self._origin == "user":
            self.load()  # so that a built-in loaded later does not replace the user's magic
        self._magics[kind][name] = Magic(name, kind, fn, interpolate, self._origin)

    def remove(self, name: str, kind: str | None = None) -> bool:
        """Forget the magic (both kinds when `kind` is None); True if there was one."""
        self.load()
        found = False
        for k in KINDS if kind is None else (kind,):
            found = self._magics[k].pop(name.lstrip("%"), None) is not None or found
        return found

    # -- looking up -----------------------------------------------------------------------------
    def find(self, name: str, kind: str = "line") -> Magic | None:
        found = self._magics[kind].get(name)
        if found is None and not self.loaded:
            self.load()
            found = self._magics[kind].get(name)
        return found

    def names(self, kind: str = "line") -> list[str]:
        self.load()
        return sorted(self._magics[kind])

    def magics(self, kind: str | None = None) -> list[Magic]:
        self.load()
        kinds = KINDS if kind is None else (kind,)
        return [m for k in kinds for _, m in sorted(self._magics[k].items())]

    def __contains__(self, name: str) -> bool:
        return any(self.find(name, kind) is not None for kind in KINDS)

    # -- built-ins ------------------------------------------------------------------------------
    def load(self) -> None:
        """Import the built-in magic modules and let each register its magics (once)."""
        if self.loaded:
            return
        self.loaded = True
        self._origin = "builtin"
        import importlib

        try:
            for name in self._modules:
                module_name = f"{self._package}.{name}"
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as e:
                    if e.name != module_name:
                        raise
                    log.warning("magics module %s is missing", module_name)
                    continue
                try:
                    module.register(self)
                except Exception:  # a broken module must not take the others (or the kernel) down
                    log.exception("magics module %s failed to register", module_name)
        finally:
            self._origin = "user"
