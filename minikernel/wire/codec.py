"""Sans-IO framing: Message <-> list of zmq frames (spec: "The Wire Protocol").

    [ident, ..., b"<IDS|MSG>", signature, header, parent_header, metadata, content, buffer, ...]
"""

from __future__ import annotations

import json

from .message import Message
from .signing import ReplayGuard, Signer

DELIMITER = b"<IDS|MSG>"


class FramingError(ValueError):
    """The frames are not a well-formed Jupyter message."""


class SignatureError(ValueError):
    """The message's signature is missing, wrong, or was already seen (a replay)."""


def _default(obj):
    # Content is built by the kernel; anything exotic that slips in is sent as its repr
    # rather than killing the send.
    if isinstance(obj, (bytes, bytearray)):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    return repr(obj)


def dumps(obj) -> bytes:
    text = json.dumps(obj, ensure_ascii=False, default=_default, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (user output, surrogateescape'd bytes) cannot be UTF-8: each becomes
        # U+FFFD, as undecodable bytes on fds 1/2 do (a round trip through UTF-16 finds them).
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode("utf-8")


def encode(msg: Message, signer: Signer, idents: list[bytes] | tuple = ()) -> list[bytes]:
    parts = [dumps(msg.header), dumps(msg.parent_header), dumps(msg.metadata), dumps(msg.content)]
    return [*idents, DELIMITER, signer.sign(parts), *parts, *msg.buffers]


def _load_dict(frame: bytes, name: str) -> dict:
    try:
        value = json.loads(frame)
    except (UnicodeDecodeError, ValueError) as e:
        raise FramingError(f"{name} is not valid UTF-8 JSON: {e}") from None
    if not isinstance(value, dict):
        raise FramingError(f"{name} is not a JSON object")
    return value


def decode(frames: list, signer: Signer, replays: ReplayGuard | None = None) -> tuple[list[bytes], Message]:
    """Split idents from the message, verify its signature, parse it.

    Raises FramingError or SignatureError; never returns an unverified message.
    """
    frames = [bytes(f) for f in frames]
    try:
        split = frames.index(DELIMITER)
    except ValueError:
        raise FramingError("no <IDS|MSG> delimiter") from None
    idents, rest = frames[:split], frames[split + 1:]
    if len(rest) < 5:
        raise FramingError(f"expected at least 5 frames after the delimiter, got {len(rest)}")
    signature, parts, buffers = rest[0], rest[1:5], rest[5:]
    if not signer.verify(signature, parts):
        raise SignatureError("invalid or missing signature")
    if replays is not None and not replays.check_and_add(signature):
        raise SignatureError("replayed message (signature already seen)")
    header = _load_dict(parts[0], "header")
    for key in ("msg_id", "msg_type"):
        if not isinstance(header.get(key), str):
            raise FramingError(f"header.{key} is missing or not a string")
    msg = Message(
        header=header,
        parent_header=_load_dict(parts[1], "parent_header"),
        metadata=_load_dict(parts[2], "metadata"),
        content=_load_dict(parts[3], "content"),
        buffers=buffers,
    )
    return idents, msg
