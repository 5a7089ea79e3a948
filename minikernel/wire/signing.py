"""HMAC signatures over the four JSON frames (spec: "The Wire Protocol"), and replay rejection."""

from __future__ import annotations

import hashlib
import hmac
from collections import deque


class Signer:
    """Signs and verifies frames. An empty key means unsigned messages (signature b"")."""

    def __init__(self, key: bytes, scheme: str = "hmac-sha256"):
        if not scheme.startswith("hmac-"):
            raise ValueError(f"unsupported signature_scheme {scheme!r} (expected hmac-<digest>)")
        digest = scheme[len("hmac-"):]
        if digest not in hashlib.algorithms_available:
            raise ValueError(f"unsupported signature_scheme {scheme!r}: no hashlib digest {digest!r}")
        self.key = key
        self._template = hmac.new(key, digestmod=digest) if key else None

    @property
    def enabled(self) -> bool:
        return self._template is not None

    def sign(self, frames: list[bytes]) -> bytes:
        if self._template is None:
            return b""
        h = self._template.copy()
        for frame in frames:
            h.update(frame)
        return h.hexdigest().encode("ascii")

    def verify(self, signature: bytes, frames: list[bytes]) -> bool:
        if self._template is None:
            return True
        return hmac.compare_digest(signature, self.sign(frames))


class ReplayGuard:
    """Remembers recent signatures; a signature seen twice is a replayed message."""

    def __init__(self, size: int = 1 << 16):
        self._seen: set[bytes] = set()
        self._order: deque[bytes] = deque()
        self._size = size

    def check_and_add(self, signature: bytes) -> bool:
        """True if `signature` is new (and now remembered), False if it is a replay."""
        if not signature:  # unsigned sessions cannot detect replays
            return True
        if signature in self._seen:
            return False
        self._seen.add(signature)
        self._order.append(signature)
        if len(self._order) > self._size:
            self._seen.discard(self._order.popleft())
        return True
