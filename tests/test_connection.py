"""Connection files: validation (pure) and the CLI's one-line errors (subprocess)."""

import json
import os
import stat
import subprocess
import sys

import pytest

from minikernel import connection

GOOD = {"transport": "tcp", "ip": "127.0.0.1", "shell_port": 1, "iopub_port": 2, "stdin_port": 3,
        "control_port": 4, "hb_port": 5, "key": "k", "signature_scheme": "hmac-sha256"}


def write(tmp_path, data):
    path = tmp_path / "conn.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_load_good(tmp_path):
    info = connection.load(write(tmp_path, GOOD))
    assert info.address("shell") == "tcp://127.0.0.1:1"
    assert info.key == "k"


def test_ipc_address(tmp_path):
    info = connection.load(write(tmp_path, {**GOOD, "transport": "ipc", "ip": "/tmp/k"}))
    assert info.address("iopub") == "ipc:///tmp/k-2"


@pytest.mark.parametrize("change, message", [
    ({"transport": "udp"}, "transport"),
    ({"shell_port": "x"}, "shell_port"),
    ({"hb_port": 70000}, "hb_port"),
    ({"key": 3}, "key"),
    ({"signature_scheme": "hmac-nope"}, "signature_scheme"),
    ({"ip": ""}, "ip"),
])
def test_invalid_fields(tmp_path, change, message):
    with pytest.raises(connection.ConnectionFileError, match=message):
        connection.load(write(tmp_path, {**GOOD, **change}))


def test_missing_port(tmp_path):
    data = dict(GOOD)
    del data["control_port"]
    with pytest.raises(connection.ConnectionFileError, match="missing control_port"):
        connection.load(write(tmp_path, data))


def test_write_is_private(tmp_path):
    path = connection.write(connection.new_info(), str(tmp_path / "k.json"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert connection.load(path).key


@pytest.mark.parametrize("content, fragment", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ("[]", "expected a JSON object"),
    (json.dumps({"shell_port": 1}), "missing iopub_port"),
])
def test_cli_reports_one_line(tmp_path, content, fragment):
    path = tmp_path / "c.json"
    if content is not None:
        path.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "minikernel", "-f", str(path)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0] and fragment in lines[0]
    assert "Traceback" not in proc.stderr


def test_cli_unreadable_file(tmp_path):
    if os.geteuid() == 0:
        path = tmp_path  # a directory: unreadable as a file even for root
    else:
        path = tmp_path / "c.json"
        path.write_text("{}")
        path.chmod(0)
    proc = subprocess.run([sys.executable, "-m", "minikernel", "-f", str(path)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
