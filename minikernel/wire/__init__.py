"""L0: the Jupyter wire protocol, pure (no sockets): messages, signing, framing."""

from .codec import DELIMITER, FramingError, SignatureError, decode, encode
from .message import PROTOCOL_VERSION, Message, Session
from .signing import ReplayGuard, Signer

__all__ = [
    "DELIMITER",
    "FramingError",
    "Message",
    "PROTOCOL_VERSION",
    "ReplayGuard",
    "Session",
    "SignatureError",
    "Signer",
    "decode",
    "encode",
]
