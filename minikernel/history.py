"""Input/output history that outlives the kernel process (history_request / history_reply).

One SQLite file, by default <jupyter data dir>/minikernel/history.sqlite, shared by every kernel
start; each start is a new session numbered max(previous) + 1.

Threads: store_input / store_output run on the execute hot path and only update memory and put
an item on a queue. The "minikernel-history" thread, started on first use, owns the only
connection: it opens the file (WAL), writes queued entries in one transaction per batch and
answers queries about earlier sessions. The current session is always answered from memory, so
it is visible at once, whatever the writer is doing.

Failure (the ipykernel pain on NFS): a network filesystem, an unwritable, locked or corrupt file,
no sqlite3 module, or a database that does not answer within `query_timeout` -> ONE warning on
the "minikernel.history" logger, and memory only for the rest of the session. Nothing here
raises into the kernel, and every wait is bounded.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Callable

from .paths import data_dir

log = logging.getLogger("minikernel.history")

THREAD_NAME = "minikernel-history"
# SQLite's locking is unreliable over these: hangs, "database is locked", corruption.
# Any type starting with "nfs" or "smb" counts as well.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smbfs", "smb3", "afs", "ncpfs", "9p", "lustre", "ceph", "glusterfs",
    "fuse.sshfs", "sshfs", "fuse.s3fs", "fuse.gcsfuse", "fuse.rclone", "fuse.glusterfs", "fuse.cephfs",
})
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sessions (session INTEGER PRIMARY KEY, start TEXT, end TEXT)",
    "CREATE TABLE IF NOT EXISTS history (session INTEGER NOT NULL, line INTEGER NOT NULL,"
    " source TEXT NOT NULL, source_raw TEXT NOT NULL, output TEXT, PRIMARY KEY (session, line))",
)
_COLUMNS = "session, line, source, source_raw, output"  # the internal row: a 5-tuple in this order
_STOP = object()
_END = 2 ** 63 - 1  # the largest SQLite integer: no stop
_UPDATE = {  # queue items: (kind, line, *values)
    "input": "UPDATE history SET source = ?, source_raw = ? WHERE session = ? AND line = ?",
    "output": "UPDATE history SET output = ? WHERE session = ? AND line = ?",
}


def default_path() -> str:
    return os.path.join(data_dir(), "minikernel", "history.sqlite")


def network_filesystem(path: str, mounts: str = "/proc/mounts") -> str | None:
    """The type of the filesystem holding `path` if it is a network one (per `mounts`), else None."""
    try:
        with open(mounts, encoding="utf-8", errors="replace") as f:
            table = [line.split() for line in f]
    except OSError:
        return None  # not Linux
    target, best, fstype = os.path.realpath(path), -1, None
    for fields in table:
        if len(fields) < 3:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[1])  # "\040" = " "
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best:  # the deepest mount point wins; of equal ones, the last
            best, fstype = len(point), fields[2]
    if fstype and (fstype in NETWORK_FILESYSTEMS or fstype.startswith(("nfs", "smb"))):
        return fstype
    return None


def glob_to_regex(pattern: str) -> re.Pattern:
    """SQLite GLOB as a regex (for fullmatch), so memory and disk agree: case-sensitive `*`, `?`,
    `[abc]`, `[a-z]`, `[^abc]`; `]` first in a set and `-` first or last are literal; a set
    that is never closed matches nothing."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c, i = pattern[i], i + 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c != "[":
            out.append(re.escape(c))
        else:
            invert = i < n and pattern[i] == "^"
            i += invert
            items, prior = [], None
            if i < n and pattern[i] == "]":
                items.append(r"\]")
                i += 1
            while i < n and pattern[i] != "]":
                c, i = pattern[i], i + 1
                if c == "-" and prior is not None and i < n and pattern[i] != "]":
                    if prior <= pattern[i]:  # widen the literal `prior` to the range (z-a: stays z)
                        items[-1] = f"{re.escape(prior)}-{re.escape(pattern[i])}"
                    i, prior = i + 1, None
                else:
                    items.append(re.escape(c))
                    prior = c
            if i >= n:
                return re.compile("(?!)")
            i += 1  # the closing "]"
            out.append(f"[{'^' if invert else ''}{''.join(items)}]")
    return re.compile("".join(out), re.DOTALL)


class _Query:
    """A read for the writer thread; `sql` None just waits for what was queued before it."""

    __slots__ = ("sql", "params", "rows", "done")

    def __init__(self, sql: str | None, params=()):
        self.sql, self.params, self.rows, self.done = sql, tuple(params), [], threading.Event()


class HistoryStore:
    """The kernel's history. Queries return what history_reply wants: a list of
    (session, line, source) or, with output=True, (session, line, (source, output or None))."""

    def __init__(self, path: str | None = None, enabled: bool = True, *, lock_timeout: float = 0.5,
                 query_timeout: float = 2.0, close_timeout: float = 2.0,
                 network_fs: Callable[[str], str | None] = network_filesystem):
        self.path = default_path() if path is None else os.fspath(path)
        self.enabled = enabled
        self.lock_timeout, self.query_timeout, self.close_timeout = lock_timeout, query_timeout, close_timeout
        self._network_fs = network_fs
        self._current: dict[int, list] = {}  # line -> [source, source_raw, output]: this session
        self._lock = threading.Lock()  # guards _current, _failed, _closed, _thread, _session
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()  # the writer has opened the file (or given up)
        self._session: int | None = None
        self._failed = not enabled  # memory only from now on
        self._closed = False
        self._db = None  # the writer thread's connection

    # -- hot path: memory + queue, never the disk ---------------------------------------------
    def store_input(self, line_number: int, source: str, source_raw: str | None = None) -> None:
        raw = source if source_raw is None else source_raw
        with self._lock:
            entry = self._current.setdefault(line_number, ["", "", None])
            entry[0], entry[1] = source, raw
        self._submit(("input", line_number, source, raw))

    def store_output(self, line_number: int, output_text: str) -> None:
        with self._lock:
            self._current.setdefault(line_number, ["", "", None])[2] = output_text
        self._submit(("output", line_number, output_text))

    # -- queries (shell thread; bounded waits) --------------------------------------------------
    def tail(self, n: int = 10, raw: bool = True, output: bool = False) -> list:
        """The last n entries over all sessions, oldest first."""
        if n <= 0:
            return []
        current = self._current_session()
        past = self._read(f"SELECT {_COLUMNS} FROM history WHERE session != ?"
                          " ORDER BY session DESC, line DESC LIMIT ?", (current, n))
        return _shape(_ordered(past + self._memory(current))[-n:], raw, output)

    def range(self, session: int = 0, start: int = 1, stop: int | None = None,
              raw: bool = True, output: bool = False) -> list:
        """Lines start <= line < stop (stop None: to the end) of one session: 0 is the current one,
        negative counts back from it (-1 the previous one), positive is absolute."""
        current = self._current_session()
        if session <= 0:
            session += current
        if session == current:
            rows = [r for r in self._memory(current) if r[1] >= start and (stop is None or r[1] < stop)]
        else:
            rows = self._read(f"SELECT {_COLUMNS} FROM history WHERE session = ? AND line >= ? AND line < ?"
                              " ORDER BY line", (session, start, _END if stop is None else stop))
        return _shape(rows, raw, output)

    def search(self, pattern: str = "*", n: int | None = None, unique: bool = False,
               raw: bool = True, output: bool = False) -> list:
        """Entries whose raw source matches the glob `pattern` (SQLite GLOB), oldest first;
        `unique` keeps only the latest of identical sources, `n` the last n matches."""
        if n is not None and n <= 0:
            return []
        current = self._current_session()
        regex = glob_to_regex(pattern)
        mine = [r for r in self._memory(current) if regex.fullmatch(r[3])]
        where = "FROM history WHERE session != ? AND source_raw GLOB ?"
        # unique: SQLite takes the bare columns from the row holding the max (the latest one)
        sql = (f"SELECT {_COLUMNS}, MAX(session * 4294967296 + line) {where} GROUP BY source_raw" if unique
               else f"SELECT {_COLUMNS} {where}") + " ORDER BY session DESC, line DESC LIMIT ?"
        limit = -1 if n is None else n + len(mine)  # n + len(mine): n left after dropping duplicates
        rows = _ordered([r[:5] for r in self._read(sql, (current, pattern, limit))] + mine)
        if unique:  # the latest row of each raw source
            rows = _ordered({r[3]: r for r in rows}.values())
        return _shape(rows if n is None else rows[-n:], raw, output)

    @property
    def session(self) -> int:
        """This start's session number (1 if the disk was never reached); waits <= query_timeout."""
        return self._current_session()

    @property
    def persistent(self) -> bool:
        """Whether entries still go to disk: False if disabled, after a fallback, after close()."""
        return not (self._failed or self._closed)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait (at most `timeout`, default close_timeout) until what was stored so far has been
        handled by the writer. True if it was (or there is nothing to wait for)."""
        query = _Query(None)
        if self._thread is None or not self._submit(query):
            return True
        return query.done.wait(self.close_timeout if timeout is None else timeout)

    def close(self) -> None:
        """Write what is pending and stop the writer thread (waits at most close_timeout)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._queue.put(_STOP)
        if thread is not None:
            thread.join(self.close_timeout)

    # -- shell-side helpers ---------------------------------------------------------------------
    def _submit(self, item) -> bool:
        """Start the writer if needed and queue `item` (None: nothing). False if memory only."""
        with self._lock:
            if self._failed or self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
                self._thread.start()
            if item is not None:
                self._queue.put(item)
            return True

    def _current_session(self) -> int:
        if self._submit(None) and not self._ready.wait(self.query_timeout):
            self._fail(f"did not open within {self.query_timeout:g} s")
        with self._lock:
            return self._session or 1

    def _read(self, sql: str, params) -> list:
        query = _Query(sql, params)
        if not self._submit(query):
            return []
        if not query.done.wait(self.query_timeout):
            self._fail(f"did not answer within {self.query_timeout:g} s")
            return []
        return query.rows

    def _memory(self, session: int) -> list:
        with self._lock:
            return [(session, line, e[0], e[1], e[2]) for line, e in sorted(self._current.items())]

    def _fail(self, reason: str) -> None:
        """Memory only from now on; the one warning. Any thread."""
        with self._lock:
            if self._failed:
                return
            self._failed = True
        log.warning("History file %s %s; this session's history is kept in memory only.", self.path, reason)

    # -- the writer thread: the only code that touches the file ----------------------------------
    def _run(self) -> None:
        self._open()
        self._ready.set()
        while True:
            if self._failed:  # here, or given up on by a query: let go of the file (and its locks)
                self._drop_db()
            batch = [self._queue.get()]
            while not self._queue.empty():  # the only consumer: get() cannot block
                batch.append(self._queue.get())
            self._write([item for item in batch if isinstance(item, tuple)])
            for item in batch:
                if isinstance(item, _Query):
                    self._answer(item)
            if any(item is _STOP for item in batch):
                self._finish()
                return

    def _open(self) -> None:
        # Broad excepts in this thread: whatever goes wrong, the kernel keeps its history in memory.
        try:
            fstype = self._network_fs(self.path)
            if fstype:
                return self._fail(f"is on a network filesystem ({fstype}), where SQLite locking is unreliable")
            if self._failed:  # abandoned while the check hung
                return
            import sqlite3  # lazily: about 5 ms that start-up does not pay
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            db = self._db = sqlite3.connect(self.path, timeout=self.lock_timeout, isolation_level=None)
            db.execute(f"PRAGMA busy_timeout = {max(1, int(self.lock_timeout * 1000))}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            session = db.execute("INSERT INTO sessions (start) VALUES (?)", (_now(),)).lastrowid  # max + 1
            db.execute("COMMIT")
        except Exception as exc:
            self._drop_db()
            return self._fail(f"could not be opened ({exc})")
        with self._lock:
            if not self._failed:  # a query that gave up waiting already labelled this session 1
                self._session = session

    def _write(self, items: list) -> None:
        db, session = self._db, self._session
        if db is None or not items or self._failed:
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            for kind, line, *values in items:
                db.execute("INSERT OR IGNORE INTO history (session, line, source, source_raw)"
                           " VALUES (?, ?, '', '')", (session, line))
                db.execute(_UPDATE[kind], (*values, session, line))
            db.execute("COMMIT")
        except Exception as exc:
            self._fail(f"could not be written ({exc})")
            self._drop_db()

    def _answer(self, query: _Query) -> None:
        try:
            if query.sql is not None and self._db is not None and not self._failed:
                query.rows = self._db.execute(query.sql, query.params).fetchall()
        except Exception as exc:
            self._fail(f"could not be read ({exc})")
            self._drop_db()
        finally:
            query.done.set()

    def _finish(self) -> None:
        if self._db is not None and not self._failed:
            try:
                self._db.execute("UPDATE sessions SET end = ? WHERE session = ?", (_now(), self._session))
            except Exception as exc:
                self._fail(f"could not be written ({exc})")
        self._drop_db()

    def _drop_db(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            with contextlib.suppress(Exception):
                db.close()  # rolls back an unfinished transaction


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _ordered(rows: list) -> list:
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _shape(rows, raw: bool, output: bool) -> list:
    """Internal 5-tuples -> history_reply entries."""
    col = 3 if raw else 2
    return [(r[0], r[1], (r[col], r[4]) if output else r[col]) for r in rows]
