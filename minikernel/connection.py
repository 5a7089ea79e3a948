"""Load, validate and write connection files (spec: "Connection files")."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from . import paths

CHANNELS = ("shell", "iopub", "stdin", "control", "hb")


class ConnectionFileError(Exception):
    """The connection file is missing, unreadable or invalid; str() is a one-line message."""


@dataclass
class ConnectionInfo:
    transport: str = "tcp"
    ip: str = "127.0.0.1"
    shell_port: int = 0
    iopub_port: int = 0
    stdin_port: int = 0
    control_port: int = 0
    hb_port: int = 0
    key: str = ""
    signature_scheme: str = "hmac-sha256"
    kernel_name: str = ""
    # CurveZMQ (jupyter_client's `transport_encryption`): the kernel's Z85 keypair; when set, every
    # socket is a Curve server and clients must encrypt (they use curve_publickey as server key).
    curve_publickey: str = ""
    curve_secretkey: str = ""

    def port(self, channel: str) -> int:
        return getattr(self, f"{channel}_port")

    def address(self, channel: str) -> str:
        return address(self.transport, self.ip, self.port(channel))

    def to_dict(self) -> dict:
        data = asdict(self)
        if not self.curve_secretkey:  # jupyter_client turns Curve on as soon as the keys are present
            del data["curve_publickey"], data["curve_secretkey"]
        return data


def address(transport: str, ip: str, port: int) -> str:
    # ipc endpoints are files named "<ip>-<port>" (jupyter_client's convention).
    return f"tcp://{ip}:{port}" if transport == "tcp" else f"ipc://{ip}-{port}"


def _check(cond: bool, path: str, what: str) -> None:
    if not cond:
        raise ConnectionFileError(f"{path}: {what}")


def load(path: str) -> ConnectionInfo:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ConnectionFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConnectionFileError(f"{path}: cannot read it ({e.__class__.__name__}: {e})") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ConnectionFileError(f"{path}: not valid JSON ({e})") from None
    _check(isinstance(data, dict), path, "expected a JSON object")
    return from_dict(data, path)


def from_dict(data: dict, path: str = "connection info") -> ConnectionInfo:
    info = ConnectionInfo()
    transport = data.get("transport", "tcp")
    _check(transport in ("tcp", "ipc"), path, f"transport must be 'tcp' or 'ipc', not {transport!r}")
    info.transport = transport
    ip = data.get("ip", "127.0.0.1" if transport == "tcp" else "kernel-ipc")
    _check(isinstance(ip, str) and ip != "", path, "ip must be a non-empty string")
    info.ip = ip
    for channel in CHANNELS:
        name = f"{channel}_port"
        _check(name in data, path, f"missing {name}")
        port = data[name]
        _check(isinstance(port, int) and not isinstance(port, bool) and 0 <= port <= 65535,
               path, f"{name} must be an integer from 0 to 65535, not {port!r}")
        setattr(info, name, port)
    key = data.get("key", "")
    _check(isinstance(key, str), path, "key must be a string")
    info.key = key
    scheme = data.get("signature_scheme", "hmac-sha256")
    _check(isinstance(scheme, str) and scheme.startswith("hmac-"), path,
           f"signature_scheme must look like 'hmac-sha256', not {scheme!r}")
    import hashlib

    _check(scheme[5:] in hashlib.algorithms_available, path, f"unknown signature_scheme {scheme!r}")
    info.signature_scheme = scheme
    info.kernel_name = str(data.get("kernel_name", ""))
    if "curve_publickey" in data or "curve_secretkey" in data:
        for name in ("curve_publickey", "curve_secretkey"):
            value = data.get(name)
            # Z85 text of a 32-byte key: 40 characters.
            _check(isinstance(value, str) and len(value) == 40, path,
                   f"{name} must be a 40-character Z85 key (both curve keys, or neither)")
            setattr(info, name, value)
    return info


def new_info() -> ConnectionInfo:
    """Connection info for a kernel started without -f: loopback, random key, ports chosen at bind."""
    import secrets

    return ConnectionInfo(key=secrets.token_hex(32))


def write(info: ConnectionInfo, path: str | None = None) -> str:
    """Write `info` to `path` (default: the Jupyter runtime dir), readable by the owner only."""
    if path is None:
        runtime = paths.runtime_dir()
        os.makedirs(runtime, exist_ok=True)
        path = os.path.join(runtime, f"kernel-{os.getpid()}.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        json.dump(info.to_dict(), f, indent=2)
    return path
