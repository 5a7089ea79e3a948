"""complete_request: jedi's Interpreter over the live namespace, merged with the live completer, in
a worker thread under a time budget; inspect_request lives in inspection.py (re-exported here).

One completion runs as a job on its own daemon thread: first the live completer (livecomplete, full
mode), then jedi (imported on the first job). The shell thread waits at most `budget` seconds:
  - the receiver is a live object (`obj.attr`, `d["key`): its dir()/keys() are the answer, with
    no jedi (jedi lists a live object's dir() too, only slower); a cold jedi still warms up after;
  - jedi done in time: jedi and live candidates merged (names defined in the cell, attributes of
    expressions, f-strings... from jedi; dir()/keys() of live objects and dynamic names from the live);
  - jedi late or raising: the live candidates;
  - jedi still cold (its first job in this process imports it and builds its grammars, ~150 ms)
    and the live completer found something: the live candidates at once, while jedi warms up;
  - a previous job still in its live step (user code: a __dir__ or keys() that may hang), or the
    live step late or failing: the cheap completer (livecomplete in safe mode) on the shell thread.
Jobs run jedi one at a time (it is not thread-safe): a job whose predecessor is still in jedi (e.g.
warming up after the first completion) answers from its live step and queues its jedi behind.
Positions count code points (str indexes), as the protocol's cursor_pos does since 5.2.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from . import jedicomplete, livecomplete
from .context import Context, context_at
from .inspection import inspect_bundle  # noqa: F401  (the inspect_request API)
from .livecomplete import Candidate

DEFAULT_BUDGET = 1.0   # seconds the shell thread waits for one completion
TYPES_KEY = "_jupyter_types_experimental"


@dataclass(frozen=True)
class Completions:
    """A complete_reply's matches, cursor_start, cursor_end and metadata. Unpacks as the old
    (matches, cursor_start, cursor_end) 3-tuple."""
    matches: list[str]
    cursor_start: int
    cursor_end: int
    metadata: dict = field(default_factory=dict)

    def __iter__(self):
        return iter((self.matches, self.cursor_start, self.cursor_end))


class _Job:
    def __init__(self, code: str, cursor: int, ns: dict, budget: float):
        self.code, self.cursor, self.ns = code, cursor, ns
        self.details_until = time.monotonic() + budget * 0.9  # then types/signatures become unknown
        self.live_done, self.done = threading.Event(), threading.Event()
        self.live: list[Candidate] | None = None
        self.final = False  # the live candidates are the whole answer
        self.result: list[Candidate] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        ctx = None
        try:
            ctx = context_at(self.code, self.cursor)
            live = livecomplete.complete(self.code, self.cursor, self.ns, context=ctx)
            self.live, self.final = finish(live.candidates, self.details_until), live.final
        except Exception as exc:
            self.error = exc
        finally:
            self.live_done.set()
        try:
            if self.live is not None:
                self._with_jedi(ctx)
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()

    def _with_jedi(self, ctx: Context) -> None:
        """Merge jedi's candidates in; with a final live answer only warm a cold jedi up."""
        if not _ENGINE.available or (self.final and _ENGINE.warm):
            return
        names = ctx.kind == "name" or (ctx.kind == "key" and not ctx.quote)
        found = _ENGINE.run_jedi(self.code, self.cursor, self.ns, names)
        if not self.final:
            self.result = finish(merge(ctx, self.live, found, self.code, self.cursor), self.details_until)


class _Engine:
    """The one running job, and what is known about jedi in this process."""

    def __init__(self):
        self.job: _Job | None = None
        self.warm = False        # a jedi completion has finished in this process
        self.available = True    # jedi imports
        self._lock = threading.Lock()
        self._jedi_lock = threading.Lock()

    def submit(self, code: str, cursor: int, ns: dict, budget: float) -> _Job | None:
        with self._lock:
            if self.job is not None and not self.job.live_done.is_set():
                return None
            self.job = _Job(code, cursor, dict(ns), budget)
        threading.Thread(target=self.job.run, name="minikernel-complete", daemon=True).start()
        return self.job

    def run_jedi(self, code: str, cursor: int, ns: dict, global_names: bool) -> list[Candidate]:
        try:
            with self._jedi_lock:
                found = jedicomplete.complete(code, cursor, ns, global_names=global_names)
        except ImportError:
            self.available = False
            return []
        self.warm = True
        return found

    def wait_idle(self, timeout: float | None = None) -> bool:
        job = self.job
        if job is not None and not job.done.wait(timeout):
            return False
        if not self._jedi_lock.acquire(timeout=-1 if timeout is None else timeout):  # an earlier job's jedi
            return False
        self._jedi_lock.release()
        return True


_ENGINE = _Engine()


def wait_idle(timeout: float | None = None) -> bool:
    """Wait for a completion job left running after its budget (tests, shutdown)."""
    return _ENGINE.wait_idle(timeout)


def complete(code: str, cursor_pos: int, ns: dict, budget: float = DEFAULT_BUDGET) -> Completions:
    """Completions at CURSOR_POS (code points) over the live namespace NS, within BUDGET seconds."""
    cursor = max(0, min(cursor_pos, len(code)))
    deadline = time.monotonic() + budget
    job = _ENGINE.submit(code, cursor, ns, budget)
    if job is None or not job.live_done.wait(budget) or job.live is None:
        return _build(code, cursor, fallback(code, cursor, ns))
    if job.final or (job.live and not _ENGINE.warm and not job.done.is_set()):
        return _build(code, cursor, job.live)
    if job.done.wait(max(0.0, deadline - time.monotonic())) and job.result is not None:
        return _build(code, cursor, job.result)
    return _build(code, cursor, job.live)


def fallback(code: str, cursor: int, ns: dict) -> list[Candidate]:
    """The cheap completer: live names and dir() of live objects, on the calling thread."""
    try:
        return finish(livecomplete.complete(code, cursor, ns, safe=True).candidates, time.monotonic() + 0.05)
    except Exception:
        return []


def merge(ctx: Context, live: list[Candidate], found: list[Candidate], code: str, cursor: int) -> list[Candidate]:
    """Live candidates first (their types come from the real objects), then jedi's others
    (private names only when the typed prefix starts with an underscore)."""
    if live and (ctx.kind == "path" or (ctx.kind == "key" and ctx.quote)):
        found = []  # the live keys / directory entries are the truth; jedi's would duplicate them
    merged = {c.text: c for c in live}
    for c in found:
        private = c.text.startswith("_") and c.text.rstrip("=").isidentifier()
        if c.text not in merged and not (private and not code[c.start:cursor].startswith("_")):
            merged[c.text] = c
    return list(merged.values())


def finish(candidates: list[Candidate], until: float) -> list[Candidate]:
    """Fill in types and signatures until the clock says stop; after that they are unknown."""
    for c in candidates:
        if (c.type is None or c.signature is None) and c.details is not None and time.monotonic() < until:
            try:
                kind, signature = c.details()
            except Exception:
                kind, signature = c.type or "<unknown>", ""
            c.type, c.signature = c.type or kind, signature if c.signature is None else c.signature
        c.type, c.signature = c.type or "<unknown>", c.signature or ""
        c.details = None
    return candidates


def sort_key(text: str) -> tuple:
    """IPython's order: keyword arguments first, then public, _private, __dunder__ names."""
    rank = -1 if text.endswith("=") else 2 if text.startswith("__") else 1 if text.startswith("_") else 0
    return rank, text


def _build(code: str, cursor: int, candidates: list[Candidate]) -> Completions:
    """One cursor_start for all matches: a candidate starting later gets the text in between."""
    if not candidates:
        return Completions([], cursor, cursor, {TYPES_KEY: []})
    start = min(c.start for c in candidates)
    unique: dict[str, Candidate] = {}
    for c in candidates:
        unique.setdefault(code[start:c.start] + c.text, c)
    ordered = sorted(unique, key=sort_key)
    types = [{"start": start, "end": cursor, "text": text, "type": unique[text].type or "<unknown>",
              "signature": unique[text].signature or ""} for text in ordered]
    return Completions(ordered, start, cursor, {TYPES_KEY: types})
