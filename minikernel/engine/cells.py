"""Executed cells by filename: the source for tracebacks and inspect, and the "In[n]" label.

A cell's filename is the path JupyterLab's debugger computes for its source (murmur2 of the
code, debugger/cellfiles.py), so breakpoints set in a notebook hit whether the cell ran before
or after the debugger started. The same source is the same file: the latest run gives In[n].
"""

from __future__ import annotations

import linecache
from typing import Callable

from ..debugger.cellfiles import CellNames


class CellRegistry:
    def __init__(self, names: CellNames | None = None):
        self.names = names or CellNames()
        self._numbers: dict[str, int] = {}
        self._sources: dict[str, str] = {}  # filename -> source (the same str objects: no copies)
        # Set while a debugger runs: called with (filename, source) before the cell is compiled,
        # to write the cell's file where the debugger's breakpoints name it.
        self.on_register: Callable[[str, str], None] | None = None

    def register(self, source: str, number: int) -> str:
        """Give the cell its filename and make its lines visible to linecache/inspect."""
        filename = self.names.path(source)
        # mtime None: linecache.checkcache() never evicts it (nor rereads the file).
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        self._numbers[filename] = number
        self._sources[filename] = source
        if self.on_register is not None:
            self.on_register(filename, source)
        return filename

    def number(self, filename: str) -> int | None:
        return self._numbers.get(filename)

    def source(self, filename: str) -> str | None:
        return self._sources.get(filename)

    def sources(self) -> dict[str, str]:
        """filename -> source of every cell registered so far."""
        return dict(self._sources)
