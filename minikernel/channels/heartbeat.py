"""Heartbeat: echo every ping, on its own zmq context and thread (spec: "Heartbeat for kernels").

The echo runs inside libzmq (zmq.proxy releases the GIL), so it keeps beating while the main
thread holds the GIL in a long C call.
"""

from __future__ import annotations

import threading

import zmq

from ..connection import ConnectionInfo, address
from .sockets import curve_server


class Heartbeat:
    def __init__(self, info: ConnectionInfo):
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        curve_server(self.socket, info)  # jupyter_client's heartbeat encrypts too when keys are set
        if info.transport == "tcp" and info.hb_port == 0:
            info.hb_port = self.socket.bind_to_random_port(f"tcp://{info.ip}")
        else:
            self.socket.bind(address(info.transport, info.ip, info.hb_port))
        self.thread = threading.Thread(target=self._run, name="minikernel-heartbeat", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            zmq.proxy(self.socket, self.socket)
        except zmq.ContextTerminated:
            pass
        finally:
            self.socket.close()

    def stop(self) -> None:
        self.context.term()  # wakes the proxy with ContextTerminated; returns once the socket closed
