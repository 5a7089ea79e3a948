"""Child processes for `!cmd`, `x = !cmd`, %%bash / %%sh / %%script (and ctx.system/getoutput).

The child runs in a new session (its own process group), stdin /dev/null (a command that reads
it gets EOF at once instead of hanging the kernel) unless a script is fed in, stdout and stderr
pipes the main thread reads with a selector and writes to sys.stdout / sys.stderr as the text
arrives: output appears live, in order with the cell's own prints, and goes wherever sys.stdout
goes (a %%capture too). PYTHONUNBUFFERED=1 in the child's environment makes Python children
live as well (they see a pipe, not a terminal).

Interrupt: SIGINT raises KeyboardInterrupt in the main thread while it waits; the child's whole
process group then gets SIGINT, SIGTERM a moment later if still there, and SIGKILL in the end,
so no orphan survives (a child that ignores SIGINT included).

When the child has exited but its pipes stay open (a background job started with `&` holds them),
the rest is read by a daemon thread, so the cell ends and the job's later output still shows.
"""

from __future__ import annotations

import codecs
import os
import re
import signal
import subprocess
import sys
import threading
from typing import Callable

from .. import hooks

TERMINATE_WAIT = 0.5  # seconds between SIGINT, SIGTERM and SIGKILL to the child's group
_CHUNK = 65536


def system(cmd: str) -> int:
    """Run `cmd` through /bin/sh; output streamed into the cell; returns the exit status
    (negative: killed by that signal)."""
    proc = _spawn(cmd, shell=True)
    sinks = {proc.stdout: sys.stdout.write, proc.stderr: sys.stderr.write}
    return _wait(proc, sinks)


def getoutput(cmd: str) -> "SList":
    """Run `cmd` through /bin/sh; its stdout and stderr (merged) as an SList of lines."""
    proc = _spawn(cmd, shell=True, merge=True)
    parts: list[str] = []
    _wait(proc, {proc.stdout: parts.append}, hand_off=False)
    return SList("".join(parts).splitlines())


def run_script(argv: list[str], script: str) -> int:
    """Run `argv` with `script` on its stdin (%%bash, %%script); output streamed into the cell."""
    proc = _spawn(argv, shell=False, stdin=subprocess.PIPE)
    feeder = threading.Thread(target=_feed, args=(proc.stdin, script), daemon=True,
                              name="minikernel-script-stdin")
    feeder.start()  # a thread: a big script must not block while the child's output waits
    sinks = {proc.stdout: sys.stdout.write, proc.stderr: sys.stderr.write}
    return _wait(proc, sinks)


def _spawn(args, shell: bool, stdin=subprocess.DEVNULL, merge: bool = False) -> subprocess.Popen:
    """Start the child. An interrupt that comes while Popen runs (the child may already be
    running its command) is held back until Popen has returned, then ends the child too."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = None
    try:
        with hooks.sigint_deferred():
            proc = subprocess.Popen(args, shell=shell, stdin=stdin, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                                    start_new_session=True, env=env, bufsize=0)
    except BaseException:
        if proc is not None:
            terminate(proc)
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        raise
    return proc


def _feed(pipe, text: str) -> None:
    try:
        pipe.write(text.encode("utf-8", "surrogateescape"))
    except (BrokenPipeError, OSError):
        pass  # the child ended without reading it all
    finally:
        try:
            pipe.close()
        except OSError:
            pass


def _wait(proc: subprocess.Popen, sinks: dict, hand_off: bool = True) -> int:
    """Forward the child's output until its pipes close (or it exits and they go quiet); then
    its exit status. KeyboardInterrupt terminates its process group and propagates."""
    import selectors

    selector = selectors.DefaultSelector()
    for pipe, write in sinks.items():
        selector.register(pipe, selectors.EVENT_READ, (write, codecs.getincrementaldecoder("utf-8")("replace")))
    try:
        while selector.get_map():
            events = selector.select(0.1)
            for key, _ in events:
                _forward(selector, key)
            if not events and proc.poll() is not None:
                break  # exited; whatever still holds the pipes is a background job
        left = list(selector.get_map().values())
        selector.close()
        if left:
            if hand_off:
                _drain_later([(key.fileobj, *key.data) for key in left])
            else:
                for key in left:
                    key.fileobj.close()
        return proc.wait()
    except BaseException:
        terminate(proc)
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()
        raise


def _forward(selector, key) -> None:
    write, decoder = key.data
    data = os.read(key.fd, _CHUNK)
    text = decoder.decode(data, final=not data)
    if text:
        write(text)
    if not data:
        selector.unregister(key.fileobj)
        key.fileobj.close()


def _drain_later(pipes: list) -> None:
    def drain():
        for pipe, write, decoder in pipes:
            try:
                while data := os.read(pipe.fileno(), _CHUNK):
                    write(decoder.decode(data))
            except (OSError, ValueError):
                pass
            finally:
                pipe.close()

    threading.Thread(target=drain, daemon=True, name="minikernel-shell-drain").start()


def terminate(proc: subprocess.Popen) -> None:
    """SIGINT, then SIGTERM, then SIGKILL to the child's process group (its pid: it leads a new
    session); always ends with SIGKILL to the group, so nothing it started lives on."""
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if not _signal_group(proc, sig):
                break
            try:
                proc.wait(TERMINATE_WAIT)
                break
            except subprocess.TimeoutExpired:
                continue
    finally:
        _signal_group(proc, signal.SIGKILL)
        proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> bool:
    try:
        os.killpg(proc.pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


class SList(list):
    """The lines of a command's output (`x = !cmd`), with IPython's shortcuts:
    .s (joined by spaces), .n (by newlines), .l (the list), .p (existing paths),
    .grep(pattern, prune=False, field=None), .fields(*indexes)."""

    @property
    def s(self) -> str:
        return " ".join(self)

    @property
    def n(self) -> str:
        return "\n".join(self)

    @property
    def l(self) -> list:  # noqa: E743 (IPython's name)
        return self

    @property
    def p(self) -> list:
        import pathlib

        return [pathlib.Path(line) for line in self if os.path.exists(line)]

    get_list = l
    get_spstr = s
    get_nlstr = n
    get_paths = p

    def grep(self, pattern: str | Callable[[str], bool], prune: bool = False, field: int | None = None) -> "SList":
        """Lines matching `pattern` (a regex, or a predicate); `prune`: the ones that do not;
        `field`: match against that whitespace-separated field only."""
        test = pattern if callable(pattern) else (lambda s: re.search(pattern, s, re.I) is not None)

        def matches(line: str) -> bool:
            if field is None:
                return bool(test(line))
            parts = line.split()
            return len(parts) > abs(field) - (field < 0) and bool(test(parts[field]))

        return SList(line for line in self if matches(line) != prune)

    def fields(self, *indexes: int) -> "SList":
        """Whitespace-separated fields of each line: all of them, or those at `indexes`
        (joined by spaces)."""
        out = SList()
        for line in self:
            parts = line.split()
            if not indexes:
                out.append(" ".join(parts))
                continue
            picked = [parts[i] for i in indexes if -len(parts) <= i < len(parts)]
            if picked:
                out.append(" ".join(picked))
        return out
