"""DAP base protocol framing, sans-IO: a header block of "Name: value" lines ending with an
empty line, then a JSON body of Content-Length bytes (DAP spec, "Base Protocol").

    encode(message) -> bytes;   Decoder().feed(data) -> [message, ...]
"""

from __future__ import annotations

import json

SEPARATOR = b"\r\n\r\n"
MAX_HEADER = 4096  # a header block longer than this is garbage, not a slow sender


class FramingError(ValueError):
    """The byte stream is not DAP framing (bad header, bad length, or a body that is not JSON)."""


def encode(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Decoder:
    """Feed it bytes as they arrive; it returns the complete messages found so far."""

    def __init__(self):
        self._buffer = bytearray()
        self._length: int | None = None  # body length of the message being read, once its header is

    def feed(self, data: bytes) -> list[dict]:
        self._buffer += data
        messages = []
        while True:
            if self._length is None:
                end = self._buffer.find(SEPARATOR)
                if end < 0:
                    if len(self._buffer) > MAX_HEADER:
                        raise FramingError("no end of header in %d bytes" % len(self._buffer))
                    return messages
                self._length = _content_length(bytes(self._buffer[:end]))
                del self._buffer[:end + len(SEPARATOR)]
            if len(self._buffer) < self._length:
                return messages
            body = bytes(self._buffer[:self._length])
            del self._buffer[:self._length]
            self._length = None
            messages.append(_parse_body(body))

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a complete message."""
        return len(self._buffer)


def _content_length(header: bytes) -> int:
    length = None
    for line in header.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if not colon:
            raise FramingError(f"malformed header line {line[:80]!r}")
        if name.strip().lower() == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                raise FramingError(f"bad Content-Length {value[:40]!r}") from None
            if length < 0:
                raise FramingError(f"negative Content-Length {length}")
    if length is None:
        raise FramingError("header without Content-Length")
    return length


def _parse_body(body: bytes) -> dict:
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise FramingError(f"body is not JSON: {e}") from None
    if not isinstance(message, dict):
        raise FramingError("a DAP message must be a JSON object")
    return message
