"""minikernel.history.HistoryStore: pure tests, no kernel. Every wait is bounded; nothing sleeps."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from hypothesis import given, settings, strategies as st

from minikernel.history import THREAD_NAME, HistoryStore, glob_to_regex, network_filesystem

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def stores():
    """Make stores (local fs assumed, so CI on NFS still tests the disk); always closed."""
    made = []

    def make(path, **kw):
        kw.setdefault("network_fs", lambda p: None)
        store = HistoryStore(str(path), **kw)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "history.sqlite"


def warnings(caplog) -> list:
    return [r for r in caplog.records if r.name == "minikernel.history" and r.levelno >= logging.WARNING]


def session_rows(path) -> list:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT session, line, source_raw, output FROM history ORDER BY session, line").fetchall()


def fill(store, cells, outputs=None) -> None:
    for line, (source, raw) in enumerate(cells, 1):
        store.store_input(line, source, raw)
    for line, text in (outputs or {}).items():
        store.store_output(line, text)


def previous_sessions(stores, path, *sessions) -> None:
    """Write whole earlier sessions to `path`, one store (kernel start) each."""
    for cells in sessions:
        store = stores(path)
        fill(store, [(c, c) for c in cells])
        store.close()


# -- start-up cost ------------------------------------------------------------------------------

def test_construction_touches_nothing(tmp_path):
    code = (
        "import os, sys, threading\n"
        "from minikernel.history import HistoryStore\n"
        "s = HistoryStore(sys.argv[1])\n"
        "d = HistoryStore(None)\n"
        "assert 'sqlite3' not in sys.modules, 'sqlite3 imported'\n"
        "assert not os.path.exists(os.path.dirname(sys.argv[1])), 'directory made'\n"
        "assert not os.path.exists(os.path.dirname(d.path)), 'default directory made'\n"
        "assert threading.active_count() == 1, 'thread started'\n"
        "assert d.path == os.path.join(os.environ['JUPYTER_DATA_DIR'], 'minikernel', 'history.sqlite')\n"
        "s.store_input(1, 'x = 1')\n"
        "assert s.flush(10)\n"
        "assert 'sqlite3' in sys.modules and os.path.exists(sys.argv[1])\n"
        "s.close()\n"
    )
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "sub" / "h.sqlite")], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_writer_thread_lives_from_first_use_to_close(stores, db_path):
    store = stores(db_path)
    assert THREAD_NAME not in [t.name for t in threading.enumerate()]
    store.store_input(1, "x")
    writer = next(t for t in threading.enumerate() if t.name == THREAD_NAME)
    assert writer.daemon
    store.close()
    assert not writer.is_alive()


# -- the three access types and their flags -----------------------------------------------------

def test_tail_raw_and_output(stores, db_path, caplog):
    store = stores(db_path)
    fill(store, [("a = 1", "a = 1"), ("a", "a"), ("get_ipython().run_line_magic('ls', '')", "%ls")],
         outputs={2: "1"})
    assert store.session == 1
    assert store.tail(2) == [(1, 2, "a"), (1, 3, "%ls")]
    assert store.tail(2, raw=False) == [(1, 2, "a"), (1, 3, "get_ipython().run_line_magic('ls', '')")]
    assert store.tail(10, output=True) == [(1, 1, ("a = 1", None)), (1, 2, ("a", "1")), (1, 3, ("%ls", None))]
    assert store.tail(0) == []
    assert not warnings(caplog)


def test_tail_spans_sessions_oldest_first(stores, db_path):
    previous_sessions(stores, db_path, ["a", "b"], ["c"])
    store = stores(db_path)
    fill(store, [("d", "d")], outputs={1: "'d'"})
    assert store.tail(3) == [(1, 2, "b"), (2, 1, "c"), (3, 1, "d")]
    assert store.tail(100) == [(1, 1, "a"), (1, 2, "b"), (2, 1, "c"), (3, 1, "d")]


def test_range_current_session(stores, db_path):
    store = stores(db_path)
    fill(store, [(f"x{i}", f"raw{i}") for i in range(1, 6)], outputs={3: "3"})
    assert store.range(0, 2, 4) == [(1, 2, "raw2"), (1, 3, "raw3")]
    assert store.range(0, 4) == [(1, 4, "raw4"), (1, 5, "raw5")]
    assert store.range(0, 3, None, raw=False, output=True) == [
        (1, 3, ("x3", "3")), (1, 4, ("x4", None)), (1, 5, ("x5", None))]
    assert store.range(1, 5, 6) == [(1, 5, "raw5")]  # its absolute number too
    assert store.range(0, 9) == []


def test_range_earlier_sessions_absolute_and_negative(stores, db_path):
    previous_sessions(stores, db_path, ["a1", "a2", "a3"], ["b1", "b2"])
    store = stores(db_path)
    fill(store, [("c1", "c1")])
    assert store.session == 3
    assert store.range(-1) == [(2, 1, "b1"), (2, 2, "b2")]
    assert store.range(-2, 2, 3) == [(1, 2, "a2")]
    assert store.range(1, 2) == [(1, 2, "a2"), (1, 3, "a3")]
    assert store.range(0) == [(3, 1, "c1")]
    assert store.range(-3) == [] and store.range(7) == []


def test_output_of_earlier_sessions(stores, db_path):
    first = stores(db_path)
    fill(first, [("1 + 1", "1 + 1"), ("print()", "print()")], outputs={1: "2"})
    first.close()
    store = stores(db_path)
    assert store.range(-1, output=True) == [(1, 1, ("1 + 1", "2")), (1, 2, ("print()", None))]
    assert store.search("1*", output=True) == [(1, 1, ("1 + 1", "2"))]


def test_search_glob_n_and_unique(stores, db_path):
    previous_sessions(stores, db_path, ["import os", "x = 1", "print(x)"], ["x = 1", "import sys"])
    store = stores(db_path)
    fill(store, [("x = 1", "x = 1"), ("print(x)", "print(x)"), ("X = 2", "X = 2")])
    assert store.search("import*") == [(1, 1, "import os"), (2, 2, "import sys")]
    assert store.search("x = ?") == [(1, 2, "x = 1"), (2, 1, "x = 1"), (3, 1, "x = 1")]  # case-sensitive
    assert store.search("[xX] = *", unique=True) == [(3, 1, "x = 1"), (3, 3, "X = 2")]
    assert store.search("*", unique=True) == [
        (1, 1, "import os"), (2, 2, "import sys"), (3, 1, "x = 1"), (3, 2, "print(x)"), (3, 3, "X = 2")]
    assert store.search("*", n=2) == [(3, 2, "print(x)"), (3, 3, "X = 2")]
    assert store.search("*", n=4, unique=True) == [
        (2, 2, "import sys"), (3, 1, "x = 1"), (3, 2, "print(x)"), (3, 3, "X = 2")]
    assert store.search("import*", n=1) == [(2, 2, "import sys")]
    assert store.search("*", n=0) == [] and store.search("nothing*") == []


def test_search_matches_raw_source_and_returns_either(stores, db_path):
    store = stores(db_path)
    store.store_input(1, "get_ipython().system('ls')", "!ls")
    assert store.search("!*") == [(1, 1, "!ls")]
    assert store.search("!*", raw=False) == [(1, 1, "get_ipython().system('ls')")]
    assert store.search("get_ipython*") == []


@settings(max_examples=400, deadline=None)
@given(st.text("ab-]^[*?\n", max_size=8), st.text("ab-]^[*?\n", max_size=6))
def test_glob_agrees_with_sqlite(pattern, text):
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        expected = bool(db.execute("SELECT ? GLOB ?", (text, pattern)).fetchone()[0])
    assert bool(glob_to_regex(pattern).fullmatch(text)) == expected


# -- sessions ------------------------------------------------------------------------------------

def test_each_start_is_a_new_session(stores, db_path):
    first = stores(db_path)
    first.store_input(1, "one")
    assert first.session == 1
    first.close()
    second = stores(db_path)
    second.store_input(1, "two")
    assert second.session == 2
    assert second.tail(5) == [(1, 1, "one"), (2, 1, "two")]
    second.close()
    assert session_rows(db_path) == [(1, 1, "one", None), (2, 1, "two", None)]
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        assert [s for s, in db.execute("SELECT session FROM sessions WHERE end IS NOT NULL")] == [1, 2]


def test_concurrent_kernels_get_distinct_sessions(stores, db_path):
    previous_sessions(stores, db_path, ["old"])
    a, b = stores(db_path), stores(db_path)
    a.store_input(1, "in a")
    b.store_input(1, "in b")
    assert {a.session, b.session} == {2, 3}
    assert a.flush(10) and b.flush(10)
    assert [e[2] for e in a.range(b.session)] == ["in b"]
    assert a.range(0) == [(a.session, 1, "in a")]


def test_disabled_is_memory_only(stores, db_path, caplog):
    store = stores(db_path, enabled=False)
    fill(store, [("a", "a"), ("b", "b")], outputs={2: "'b'"})
    assert store.tail(1, output=True) == [(1, 2, ("b", "'b'"))]
    assert store.search("a") == [(1, 1, "a")] and store.range(0, 2) == [(1, 2, "b")]
    assert store.range(-1) == []
    assert not store.persistent and store.flush(1)
    assert THREAD_NAME not in [t.name for t in threading.enumerate()]
    assert not db_path.exists() and not warnings(caplog)


# -- the hot path, visibility, close ------------------------------------------------------------

@contextlib.contextmanager
def write_locked(path):
    """Another process's write lock on an existing WAL history file (readers still read)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


def test_hot_path_never_waits_for_the_writer(stores, db_path, caplog):
    previous_sessions(stores, db_path, ["old"])
    store = stores(db_path, lock_timeout=30, query_timeout=30)
    with write_locked(db_path):
        store.store_input(1, "first")  # the writer starts and waits for the lock to add its session
        assert not store.flush(timeout=0.2), "the writer should be stuck on the lock"
        slowest, started = 0.0, time.perf_counter()
        for line in range(2, 2002):
            t = time.perf_counter()
            store.store_input(line, f"x = {line}", f"x = {line}")
            store.store_output(line, str(line))
            slowest = max(slowest, time.perf_counter() - t)
        total = time.perf_counter() - started
        assert slowest < 0.1 and total < 2.0, (slowest, total)
        assert store.persistent
    assert store.flush(timeout=30)
    store.close()
    rows = [r for r in session_rows(db_path) if r[0] == 2]
    assert len(rows) == 2001 and rows[-1] == (2, 2001, "x = 2001", "2001")
    assert not warnings(caplog)


def test_current_session_visible_before_it_is_written(stores, db_path, caplog):
    store = stores(db_path, lock_timeout=30, query_timeout=30)
    store.store_input(1, "a")
    assert store.flush(10)
    with write_locked(db_path):
        store.store_input(2, "b")
        store.store_output(2, "'b'")
        assert store.range(0, output=True) == [(1, 1, ("a", None)), (1, 2, ("b", "'b'"))]
        assert session_rows(db_path) == [(1, 1, "a", None)]  # not on disk yet
    assert store.flush(30)
    assert session_rows(db_path) == [(1, 1, "a", None), (1, 2, "b", "'b'")]
    assert not warnings(caplog)


def test_close_writes_everything_pending(stores, db_path):
    store = stores(db_path)
    for line in range(1, 501):
        store.store_input(line, f"cell {line}")
    store.close()
    assert len(session_rows(db_path)) == 500
    store.close()  # idempotent
    store.store_input(501, "after close")  # memory only, no error
    assert store.tail(1) == [(1, 501, "after close")] and not store.persistent


# -- failures: one warning, memory for the rest of the session ----------------------------------

def assert_fell_back(store, caplog, reason):
    store.store_input(1, "a = 1")
    store.store_input(2, "a", "a")
    store.store_output(2, "1")
    assert store.tail(5, output=True) == [(1, 1, ("a = 1", None)), (1, 2, ("a", "1"))]
    assert store.range(0, 2) == [(1, 2, "a")]
    assert store.search("a*", unique=True) == [(1, 1, "a = 1"), (1, 2, "a")]
    assert store.range(-1) == []
    store.store_input(3, "later")
    assert store.tail(1) == [(1, 3, "later")]
    assert not store.persistent
    store.close()
    found = warnings(caplog)
    assert len(found) == 1, [r.getMessage() for r in found]
    assert reason in found[0].getMessage() and "memory" in found[0].getMessage()


def test_locked_rollback_journal_file(stores, db_path, caplog):
    with contextlib.closing(sqlite3.connect(db_path, isolation_level=None)) as other:
        other.execute("CREATE TABLE unrelated (x)")
        other.execute("BEGIN EXCLUSIVE")  # readers and writers locked out
        other.execute("INSERT INTO unrelated VALUES (1)")
        assert_fell_back(stores(db_path, lock_timeout=0.1), caplog, "locked")


def test_locked_wal_history_file(stores, db_path, caplog):
    previous_sessions(stores, db_path, ["old"])
    caplog.clear()
    with write_locked(db_path):
        assert_fell_back(stores(db_path, lock_timeout=0.1), caplog, "locked")


def test_lock_in_mid_session(stores, db_path, caplog):
    previous_sessions(stores, db_path, ["old"])
    store = stores(db_path, lock_timeout=0.1)
    store.store_input(1, "written")
    assert store.flush(10) and store.session == 2
    with write_locked(db_path):
        store.store_input(2, "not written")
        assert store.flush(10)
    store.store_input(3, "memory")
    assert store.tail(5) == [(2, 1, "written"), (2, 2, "not written"), (2, 3, "memory")]
    assert not store.persistent
    store.close()
    assert len(warnings(caplog)) == 1 and "could not be written" in warnings(caplog)[0].getMessage()
    assert session_rows(db_path)[-1] == (2, 1, "written", None)


def test_corrupt_file(stores, db_path, caplog):
    db_path.write_bytes(b"this is not an SQLite database\0" * 512)
    assert_fell_back(stores(db_path), caplog, "not a database")
    assert db_path.read_bytes().startswith(b"this is not")  # left alone for the user


def test_network_filesystem_is_never_opened(tmp_path, caplog):
    path = tmp_path / "nfs" / "history.sqlite"
    seen = []
    store = HistoryStore(str(path), network_fs=lambda p: seen.append(p) or "nfs4")
    assert_fell_back(store, caplog, "network filesystem (nfs4)")
    assert seen == [str(path)] and not path.parent.exists()


def test_parent_is_a_file(stores, tmp_path, caplog):
    """An unwritable location that stays unwritable for root too."""
    (tmp_path / "file").write_text("")
    assert_fell_back(stores(tmp_path / "file" / "history.sqlite"), caplog, "could not be opened")


@contextlib.contextmanager
def read_only(path):
    """chmod, or as root (where permission bits do not stop writes) the immutable attribute."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        undo = lambda: path.chmod(mode)  # noqa: E731
    else:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("root without chattr / CAP_LINUX_IMMUTABLE here: no way to make a path read-only")
        undo = lambda: subprocess.run(["chattr", "-i", str(path)], check=True)  # noqa: E731
    try:
        probe = path / "probe" if path.is_dir() else path
        try:
            with open(probe, "ab"):
                pass
        except OSError:
            pass
        else:
            pytest.skip(f"could not make {path} read-only on this filesystem")
        yield
    finally:
        undo()


@pytest.mark.parametrize("existing", [False, True], ids=["new-file", "existing-file"])
def test_read_only_directory(stores, tmp_path, caplog, existing):
    folder = tmp_path / "ro"
    folder.mkdir()
    if existing:
        previous_sessions(stores, folder / "history.sqlite", ["old"])
    with read_only(folder):
        assert_fell_back(stores(folder / "history.sqlite", lock_timeout=0.1), caplog, "could not be opened")


def test_read_only_file(stores, db_path, caplog):
    previous_sessions(stores, db_path, ["old"])
    with read_only(db_path):
        assert_fell_back(stores(db_path, lock_timeout=0.1), caplog, "readonly")
    assert session_rows(db_path) == [(1, 1, "old", None)]


@pytest.mark.parametrize("late", [None, "nfs"], ids=["then-local", "then-nfs"])
def test_hanging_filesystem_is_abandoned_after_query_timeout(tmp_path, caplog, late):
    """A writer stuck in the filesystem (stat on a dead NFS server) costs one query_timeout, once."""
    release = threading.Event()
    store = HistoryStore(str(tmp_path / "history.sqlite"), query_timeout=0.2, close_timeout=0.2,
                         network_fs=lambda p: release.wait(30) and late)
    store.store_input(1, "a")
    started = time.monotonic()
    assert store.tail(5) == [(1, 1, "a")]
    assert store.search("*") == [(1, 1, "a")] and store.range(0) == [(1, 1, "a")]
    assert time.monotonic() - started < 5
    store.store_input(2, "b")  # memory only now
    started = time.monotonic()
    store.close()  # the writer is still stuck: close gives up after close_timeout
    assert time.monotonic() - started < 5
    writer = next(t for t in threading.enumerate() if t.name == THREAD_NAME)
    release.set()  # the writer comes back, sees it was abandoned (no second warning) and ends
    writer.join(30)
    assert not writer.is_alive() and not (tmp_path / "history.sqlite").exists()
    assert store.tail(5) == [(1, 1, "a"), (1, 2, "b")]  # still session 1, as first answered
    assert len(warnings(caplog)) == 1 and "did not open within 0.2 s" in warnings(caplog)[0].getMessage()


def test_no_sqlite3_module(stores, db_path, caplog, monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlite3", None)  # import sqlite3 -> ImportError
    assert_fell_back(stores(db_path), caplog, "could not be opened")


# -- network filesystem detection ---------------------------------------------------------------

def test_network_filesystem_from_mounts(tmp_path):
    root = os.path.realpath(tmp_path)
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda / ext4 rw 0 0\n"
        f"server:/export {root}/home nfs4 rw,relatime 0 0\n"
        f"tmpfs {root}/home/me/local tmpfs rw 0 0\n"
        f"//srv/share {root}/with\\040space cifs rw 0 0\n"
        f"srv:/x {root}/smb smb3 rw 0 0\n"
        f"srv:/x {root}/smbx smb9 rw 0 0\n"  # any smb* / nfs*
        f"me@host:/ {root}/ssh fuse.sshfs rw 0 0\n"
        f"srv:/y {root}/re nfs rw 0 0\n"
        f"/dev/vdb {root}/re ext4 rw 0 0\n"  # mounted over the nfs one: the last wins
        "garbage\n"
    )
    def fs(p):
        return network_filesystem(os.path.join(root, p), mounts=str(mounts))

    assert fs("home/me/.local/share/jupyter/minikernel/history.sqlite") == "nfs4"
    assert fs("home") == "nfs4"
    assert fs("home/me/local/history.sqlite") is None
    assert fs("homework/history.sqlite") is None  # a prefix of the name is not a parent
    assert fs("with space/h.sqlite") == "cifs"
    assert fs("smb/h.sqlite") == "smb3" and fs("smbx/h.sqlite") == "smb9" and fs("ssh/h.sqlite") == "fuse.sshfs"
    assert fs("re/h.sqlite") is None
    assert network_filesystem(str(tmp_path), mounts=str(tmp_path / "missing")) is None


def test_symlink_into_network_mount_is_followed(tmp_path):
    root = os.path.realpath(tmp_path)
    (tmp_path / "nfs").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "nfs")
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nsrv:/x {root}/nfs nfs rw 0 0\n")
    assert network_filesystem(str(tmp_path / "link" / "history.sqlite"), mounts=str(mounts)) == "nfs"
