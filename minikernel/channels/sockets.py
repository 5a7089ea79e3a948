"""Bind the kernel's sockets as the connection info says (spec: "Introduction", the five channels)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import zmq

from ..connection import ConnectionFileError, ConnectionInfo, address


@dataclass
class Sockets:
    context: zmq.Context
    shell: zmq.Socket
    control: zmq.Socket
    stdin: zmq.Socket
    iopub: zmq.Socket


def _bind(sock: zmq.Socket, info: ConnectionInfo, channel: str) -> None:
    port = info.port(channel)
    if info.transport == "tcp":
        if port == 0:
            port = sock.bind_to_random_port(f"tcp://{info.ip}")
        else:
            sock.bind(address("tcp", info.ip, port))
    else:
        if port == 0:  # pick the first free "<ip>-<n>" file name
            port = 1
            while os.path.exists(f"{info.ip}-{port}"):
                port += 1
        sock.bind(address("ipc", info.ip, port))
    setattr(info, f"{channel}_port", port)


def curve_server(sock: zmq.Socket, info: ConnectionInfo) -> None:
    """With curve keys in the connection file, `sock` accepts only CurveZMQ-encrypted peers that
    know the kernel's public key (set before bind; jupyter_client >= 8.10 `transport_encryption`)."""
    if not info.curve_secretkey:
        return
    if not zmq.has("curve"):
        raise ConnectionFileError("the connection file asks for CurveZMQ, but this libzmq has no curve support")
    sock.curve_secretkey = info.curve_secretkey.encode("ascii")
    sock.curve_publickey = info.curve_publickey.encode("ascii")
    sock.curve_server = True


def bind_sockets(info: ConnectionInfo) -> Sockets:
    """Create the four message sockets on one context; fills in ports chosen at random."""
    context = zmq.Context()
    shell, control, stdin = (context.socket(zmq.ROUTER) for _ in range(3))
    iopub = context.socket(zmq.XPUB)
    # Every subscription reaches us, even a second client subscribing to the same topic,
    # so each gets its own iopub_welcome (JEP 65).
    iopub.setsockopt(zmq.XPUB_VERBOSE, 1)
    for sock in (shell, control, stdin, iopub):
        sock.setsockopt(zmq.LINGER, 1000)
        curve_server(sock, info)
    for channel, sock in (("shell", shell), ("control", control), ("stdin", stdin), ("iopub", iopub)):
        _bind(sock, info, channel)
    return Sockets(context, shell, control, stdin, iopub)


def close_sockets(sockets: Sockets) -> None:
    for sock in (sockets.shell, sockets.control, sockets.stdin, sockets.iopub):
        sock.close()
    sockets.context.term()
