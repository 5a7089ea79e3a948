"""Executed cells by filename: the source for tracebacks and inspect, and the "In[n]" label."""

from __future__ import annotations

import itertools
import linecache


class CellRegistry:
    def __init__(self):
        self._numbers: dict[str, int] = {}
        self._serial = itertools.count(1)

    def register(self, source: str, number: int) -> str:
        """Give the cell a unique filename and make its lines visible to linecache/inspect."""
        filename = f"<minikernel-cell-{next(self._serial)}>"
        # mtime None: linecache.checkcache() never evicts it.
        linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
        self._numbers[filename] = number
        return filename

    def number(self, filename: str) -> int | None:
        return self._numbers.get(filename)
