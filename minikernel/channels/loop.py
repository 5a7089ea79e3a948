"""A socket-owning receive loop, woken from other threads through a pipe."""

from __future__ import annotations

import os
import threading
from typing import Callable

import zmq


class Waker:
    """Lets another thread interrupt a poll (zmq polls OS fds as well as sockets)."""

    def __init__(self):
        self.fd, self._w = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._w, False)

    def wake(self) -> None:
        try:
            os.write(self._w, b"x")
        except OSError:  # full pipe (a wake-up is pending anyway) or closed at exit
            pass

    def drain(self) -> None:
        try:
            while os.read(self.fd, 4096):
                pass
        except OSError:
            pass

    def close(self) -> None:
        os.close(self.fd)
        os.close(self._w)


def serve(socket: zmq.Socket, handle: Callable[[list], None], stop: threading.Event, waker: Waker,
          tick: float | None = None, on_tick: Callable[[], None] | None = None) -> None:
    """Receive and handle messages until `stop` is set."""
    poller = zmq.Poller()
    poller.register(socket, zmq.POLLIN)
    poller.register(waker.fd, zmq.POLLIN)
    timeout = None if tick is None else tick * 1000
    while not stop.is_set():
        events = dict(poller.poll(timeout))
        if waker.fd in events:
            waker.drain()
        if on_tick is not None:
            on_tick()
        if socket not in events:
            continue
        while not stop.is_set():
            try:
                frames = socket.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                break
            handle(frames)


class AsyncServer:
    """Serves one zmq socket from an asyncio loop on the owning thread.

    zmq's FD is edge-triggered: every wake-up drains the socket, and `poke()` re-checks it after
    the socket was used outside the reader (a reply sent when an awaiting cell finishes).
    """

    def __init__(self, loop, socket: zmq.Socket, handle: Callable[[list], None]):
        self.loop, self.socket, self.handle = loop, socket, handle
        self._fd = socket.getsockopt(zmq.FD)

    def _on_readable(self) -> None:
        while self.socket.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self.handle(frames)

    def poke(self) -> None:
        self.loop.call_soon(self._on_readable)

    def run(self, stop: threading.Event, on_interrupt: Callable[[], None]) -> None:
        self.loop.add_reader(self._fd, self._on_readable)
        self.poke()  # messages that arrived before the reader was installed
        try:
            while not stop.is_set():
                try:
                    self.loop.run_forever()
                except KeyboardInterrupt:  # one that escaped asyncio's machinery: keep serving
                    on_interrupt()
        finally:
            self.loop.remove_reader(self._fd)
