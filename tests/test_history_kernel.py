"""history_request through a real kernel: persisted across restarts, raw/output flags."""

from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME


def history(kc, **content):
    msg_id = kc.history(**content)
    while True:
        reply = kc.get_shell_msg(timeout=20)
        if reply["parent_header"]["msg_id"] == msg_id:
            assert reply["content"]["status"] == "ok", reply["content"]
            return [tuple(entry) if not isinstance(entry[2], list) else (entry[0], entry[1], tuple(entry[2]))
                    for entry in reply["content"]["history"]]


def test_history_survives_a_restart(jupyter_env, tmp_path):
    # Its own database: other tests' kernels share the session's data dir.
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30,
                              extra_arguments=[f"--Kernel.history_file={tmp_path / 'history.sqlite'}"])
    try:
        for code in ("a = 1", "a + 41", "b = 'x'"):
            kc.execute_interactive(code, timeout=30)
        tail = history(kc, hist_access_type="tail", n=3, output=True, raw=True)
        session = tail[0][0]
        assert [(line, src) for _, line, (src, _) in tail] == [(1, "a = 1"), (2, "a + 41"), (3, "b = 'x'")]
        assert tail[1][2][1] == "42"  # output=True carries the result's text
        km.restart_kernel(now=False)
        kc.wait_for_ready(timeout=30)
        kc.execute_interactive("c = 3", timeout=30)
        previous = history(kc, hist_access_type="range", session=-1, start=1, stop=None, raw=True, output=False)
        assert [(s, line, src) for s, line, src in previous] == [(session, 1, "a = 1"), (session, 2, "a + 41"),
                                                                  (session, 3, "b = 'x'")]
        current = history(kc, hist_access_type="range", session=0, start=1, stop=None, raw=True, output=False)
        assert [(line, src) for _, line, src in current] == [(1, "c = 3")]
        assert current[0][0] == session + 1
        found = history(kc, hist_access_type="search", pattern="a*", unique=True, raw=True, output=False)
        assert [src for _, _, src in found] == ["a = 1", "a + 41"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel()


def test_corrupt_database_falls_back_to_memory(jupyter_env, tmp_path):
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=30,
                              extra_arguments=[f"--Kernel.history_file={db}"])
    try:
        for code in ("x = 1", "x + 1"):
            assert kc.execute_interactive(code, timeout=30)["content"]["status"] == "ok"
        tail = history(kc, hist_access_type="tail", n=5, raw=True, output=False)
        assert [src for _, _, src in tail] == ["x = 1", "x + 1"]  # served from memory
        assert kc.execute_interactive("1", timeout=30)["content"]["status"] == "ok"  # still working
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    assert db.read_bytes().startswith(b"this is not a database")  # left alone, not overwritten
