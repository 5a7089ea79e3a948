"""Capture of file descriptors 1 and 2: output of C extensions, os.system(), subprocesses and
forked children reaches the cell, not the kernel's terminal.

Each fd is pointed at a pipe read by a thread that hands the text to `write(name, text)`, the same
sink as sys.stdout/sys.stderr. `sync()` at the end of a cell flushes C stdio buffers; when a pipe
holds unread bytes or its reader is busy with some, it sends a marker through each pipe and waits
(briefly) until the reader has seen it, so the cell's output is delivered before its `idle`. A
cell that wrote nothing at the fd level (most cells) costs no thread hand-off: a reader marks
itself busy *before* it reads, so "nothing unread, nobody busy" means all was delivered. (The kernel's log writes to a duplicate of the fd 2 it started with,
made before capture begins, so it never lands in cells.)
"""

from __future__ import annotations

import codecs
import fcntl
import os
import select
import struct
import termios
import threading
from typing import Callable

FDS = ((1, "stdout"), (2, "stderr"))


class FdCapture:
    def __init__(self, write: Callable[[str, str], None]):
        self.write = write
        self._saved: dict[int, int] = {}
        self._spare: dict[int, int] = {}  # a copy of each pipe's write end, to undo os.close(1)
        self._synced: dict[int, threading.Event] = {}
        self._read_ends: dict[int, int] = {}
        self._busy: dict[int, bool] = {}  # a reader between "readable" and "delivered"
        self._marker = f"\x00minikernel-sync-{os.getpid()}\x00".encode()
        self._libc_fflush = None

    def start(self) -> None:
        for fd, name in FDS:
            read_end, write_end = os.pipe()
            self._saved[fd] = os.dup(fd)
            os.dup2(write_end, fd)
            self._spare[fd] = write_end
            self._synced[fd] = threading.Event()
            self._read_ends[fd], self._busy[fd] = read_end, False
            threading.Thread(target=self._read, args=(read_end, fd, name), daemon=True,
                             name=f"minikernel-fd{fd}").start()

    def stop(self) -> None:
        """Point fds 1 and 2 back where they were. Readers end when the last writer (perhaps a
        child process) closes its end; they are daemon threads, so nobody waits for them."""
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
            os.close(saved)
            os.close(self._spare.pop(fd))
        self._saved.clear()

    def sync(self, timeout: float = 0.2) -> None:
        """Deliver what C code and children wrote so far, before the cell's idle."""
        if not self._saved:
            return
        self._reopen_closed()
        self._fflush()
        if self._all_delivered():
            return
        for fd, _ in FDS:
            self._synced[fd].clear()
            try:
                os.write(fd, self._marker)
            except OSError:
                continue
        for fd, _ in FDS:
            self._synced[fd].wait(timeout)

    def _all_delivered(self) -> bool:
        """No unread bytes in either pipe, then no reader busy (in that order: a reader marks
        itself busy before it empties the pipe, and idle again only once it has delivered)."""
        try:
            for read_end in self._read_ends.values():
                unread = fcntl.ioctl(read_end, termios.FIONREAD, b"\0\0\0\0")
                if struct.unpack("i", unread)[0]:
                    return False
        except OSError:
            return False
        return not any(self._busy.values())

    def _reopen_closed(self) -> None:
        """A cell that closed fd 1 or 2 (os.close(1)): point it at its pipe again, so later cells'
        C-level output still reaches them. An fd the user pointed elsewhere (os.dup2) is left."""
        for fd, spare in self._spare.items():
            try:
                os.fstat(fd)
            except OSError:
                os.dup2(spare, fd)

    def _fflush(self) -> None:
        if self._libc_fflush is None:
            try:
                import ctypes  # only once a cell has run: not a start-up cost

                self._libc_fflush = ctypes.CDLL(None).fflush
            except (OSError, AttributeError):
                self._libc_fflush = False
        if self._libc_fflush:
            self._libc_fflush(None)

    def _read(self, read_end: int, fd: int, name: str) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        pending = b""
        readable = select.poll()
        readable.register(read_end, select.POLLIN)
        while True:
            self._busy[fd] = False
            try:
                readable.poll()
                self._busy[fd] = True  # before the read: see _all_delivered
                data = os.read(read_end, 65536)
            except OSError:
                self._busy[fd] = False
                return
            if not data:
                self._busy[fd] = False
                os.close(read_end)
                return
            data = pending + data
            pending = b""
            synced = self._marker in data
            if synced:
                data = data.replace(self._marker, b"")
            else:  # a marker split across two reads: keep the tail that could start one
                cut = data.find(self._marker[:1], max(0, len(data) - len(self._marker) + 1))
                if cut >= 0 and self._marker.startswith(data[cut:]):
                    data, pending = data[:cut], data[cut:]
            text = decoder.decode(data)
            if text:
                self.write(name, text)
            if synced:
                self._synced[fd].set()
