"""Cell file names: what JupyterLab computes from debugInfo, and what cells are compiled as.

JupyterLab (packages/debugger/src/config.ts, hash.ts) names a cell's source
    tmpFilePrefix + str(murmur2(utf8(code), hashSeed)) + tmpFileSuffix
so the kernel must compile each cell under exactly that name for breakpoints set in the
notebook to hit. murmur2 is MurmurHash2, 32-bit, over the UTF-8 bytes (as jupyterlab >= 4 and
ipykernel; older jupyterlab hashed UTF-16 code units, which differed on non-ASCII cells).
"""

from __future__ import annotations

import os
import struct

HASH_METHOD = "Murmur2"
HASH_SEED = 0xC70F6907  # any seed works (debugInfo reports it); this is ipykernel's, so paths look familiar
SUFFIX = ".py"
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes, seed: int) -> int:
    """MurmurHash2 (Austin Appleby), 32-bit little-endian blocks."""
    length = len(data)
    h = (seed ^ length) & _MASK
    blocks = length >> 2
    for k in struct.unpack_from(f"<{blocks}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    tail = length & 3
    if tail:
        rest = data[blocks << 2:]
        k = rest[0] | (rest[1] << 8 if tail > 1 else 0) | (rest[2] << 16 if tail > 2 else 0)
        h = ((h ^ k) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def temp_root() -> str:
    """tempfile.gettempdir()'s first choices, without importing tempfile (3 ms) on the hot path."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        path = os.environ.get(name)
        if path and os.path.isdir(path):
            return os.path.abspath(path)
    if os.name == "posix" and os.path.isdir("/tmp"):
        return "/tmp"
    import tempfile

    return tempfile.gettempdir()


class CellNames:
    """The naming scheme of one kernel process: <tmp>/ipykernel_minikernel_<pid>/<murmur2>.py.

    "ipykernel_" in the name is for JupyterLab: its notebook and console debugger plugins show
    a source as "Cell [n]" (breakpoints, call stack) only if its path contains "ipykernel_";
    any other path is shown as the raw temp file."""

    def __init__(self, directory: str | None = None, seed: int = HASH_SEED):
        self.seed = seed
        self._directory = directory
        self._cache: dict[str, str] = {}  # source -> path: re-run cells cost a dict lookup

    @property
    def directory(self) -> str:
        if self._directory is None:
            # realpath: pydevd compares canonical paths (a symlinked /tmp, as on macOS, would differ)
            self._directory = os.path.join(os.path.realpath(temp_root()), f"ipykernel_minikernel_{os.getpid()}")
        return self._directory

    @property
    def prefix(self) -> str:
        return self.directory + os.sep

    def path(self, source: str) -> str:
        path = self._cache.get(source)
        if path is None:
            if len(self._cache) > 1000:  # bounded: a loop of generated cells must not grow it forever
                self._cache.clear()
            path = self._cache[source] = f"{self.prefix}{murmur2(source.encode('utf-8', 'surrogatepass'), self.seed)}{SUFFIX}"
        return path


def write(path: str, source: str) -> None:
    """Write a cell file (its directory private to the user), replacing it atomically."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    partial = f"{path}.{os.getpid()}.tmp"
    with open(partial, "w", encoding="utf-8", errors="surrogatepass", newline="") as f:
        f.write(source)
    os.replace(partial, path)


