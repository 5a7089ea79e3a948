"""sys.stdout / sys.stderr replacements that hand every write to a sink, unbuffered.

Coalescing happens downstream (the iopub thread), so write() stays a couple of attribute
lookups and one call: it is the hot path of every print.

As in a terminal, `fileno()` is 1 or 2 (with fd capture on, the pipe into the cell, so
`subprocess.run(..., stdout=sys.stdout)` and `faulthandler` write into the cell too), and
`buffer` takes bytes (decoded as UTF-8, bad bytes replaced) into the same stream.
"""

from __future__ import annotations

import codecs
import io
from typing import Callable


class OutStream(io.TextIOBase):
    def __init__(self, name: str, sink: Callable[[str, str], None]):
        super().__init__()
        self.channel = name  # "stdout" or "stderr"
        self.sink = sink
        self.muted = False
        self._buffer: BinaryOut | None = None

    def write(self, s):
        if s.__class__ is not str:
            if not isinstance(s, str):
                raise TypeError(f"write() argument must be str, not {type(s).__name__}")
            s = str(s)
        if s and not self.muted:
            self.sink(self.channel, s)
        return len(s)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        # Never raises, even after close(): user code that closes sys.stdout must not
        # break every later print(..., flush=True).
        pass

    @property
    def encoding(self) -> str:
        return "utf-8"

    @property
    def errors(self) -> str:
        return "strict"

    @property
    def name(self) -> str:
        return f"<{self.channel}>"

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self.channel == "stdout" else 2

    @property
    def buffer(self) -> "BinaryOut":
        if self._buffer is None:
            self._buffer = BinaryOut(self)
        return self._buffer


class BinaryOut(io.BufferedIOBase):
    """sys.stdout.buffer: bytes in, text out through the stream it belongs to."""

    def __init__(self, text: OutStream):
        super().__init__()
        self.text = text
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def write(self, data) -> int:
        data = bytes(data)
        self.text.write(self._decoder.decode(data))
        return len(data)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.text.fileno()

    @property
    def name(self) -> str:
        return self.text.name
