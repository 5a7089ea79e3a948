"""The install/uninstall CLI and the repo's kernelspec/ template, seen through jupyter_client."""

import json
import os
import subprocess
import sys

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from minikernel.kernelspec import LOGOS

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "minikernel", *args], capture_output=True, text=True,
                          timeout=60, **kw)


def specs_under(prefix):
    ksm = KernelSpecManager(kernel_dirs=[os.path.join(prefix, "share", "jupyter", "kernels")])
    return ksm.find_kernel_specs()


def test_install_and_uninstall_with_prefix(tmp_path):
    proc = cli("install", "--prefix", str(tmp_path), "--name", "mk-x", "--display-name", "MK X",
               "--env", "FOO=bar", "BAZ=1=2", "--interrupt-mode", "message")
    assert proc.returncode == 0, proc.stderr
    found = specs_under(tmp_path)
    assert "mk-x" in found
    spec = json.loads(open(os.path.join(found["mk-x"], "kernel.json")).read())
    assert spec["argv"][0] == os.path.abspath(sys.executable) and os.path.isabs(spec["argv"][0])
    assert spec["argv"][1:] == ["-m", "minikernel", "-f", "{connection_file}"]
    assert spec["display_name"] == "MK X"
    assert spec["env"] == {"FOO": "bar", "BAZ": "1=2"}
    assert spec["interrupt_mode"] == "message"
    assert spec["language"] == "python"
    for logo in LOGOS:
        assert os.path.getsize(os.path.join(found["mk-x"], logo)) > 100
    proc = cli("uninstall", "--prefix", str(tmp_path), "--name", "mk-x")
    assert proc.returncode == 0
    assert "mk-x" not in specs_under(tmp_path)
    proc = cli("uninstall", "--prefix", str(tmp_path), "--name", "mk-x")
    assert proc.returncode == 1 and "no kernelspec" in proc.stderr


def test_jupyter_kernelspec_list_shows_user_install(tmp_path):
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_PATH": ""}
    assert cli("install", "--user", env=env).returncode == 0
    listing = subprocess.run([sys.executable, "-m", "jupyter_client.kernelspecapp", "list"], env=env,
                             capture_output=True, text=True, timeout=60)
    if listing.returncode != 0:  # older jupyter_client: go through the jupyter command
        listing = subprocess.run([os.path.join(os.path.dirname(sys.executable), "jupyter"), "kernelspec", "list"],
                                 env=env, capture_output=True, text=True, timeout=60)
    assert "minikernel" in listing.stdout and str(tmp_path / "data") in listing.stdout


def test_bad_env_argument(tmp_path):
    proc = cli("install", "--prefix", str(tmp_path), "--env", "NOEQUALS")
    assert proc.returncode == 2 and "KEY=VALUE" in proc.stderr


def test_template_folder_installs_and_runs(tmp_path, monkeypatch):
    """`jupyter kernelspec install kernelspec/` works, and the kernel it describes starts."""
    from jupyter_client.manager import start_new_kernel

    ksm = KernelSpecManager()
    dest = ksm.install_kernel_spec(os.path.join(REPO, "kernelspec"), "mk-template", prefix=str(tmp_path))
    assert sorted(os.listdir(dest)) == sorted(["kernel.json", *LOGOS])
    monkeypatch.setenv("JUPYTER_PATH", os.path.join(str(tmp_path), "share", "jupyter"))
    km, kc = start_new_kernel(kernel_name="mk-template", startup_timeout=30)
    try:
        reply = kc.execute_interactive("import minikernel", timeout=30)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel()


@pytest.mark.parametrize("which", [0, 1])
def test_readme_opens_with_the_two_commands(which):
    readme = open(os.path.join(REPO, "README.md")).read()
    # The first two indented command lines: the frontend one, then the test one (which .ci/run runs).
    commands = [line.strip() for line in readme.splitlines()
                if line.startswith("    ") and "python3 -m venv .venv" in line][:2]
    assert len(commands) == 2
    if which == 0:
        assert "minikernel install" in commands[0] and "jupyter console --kernel minikernel" in commands[0]
    else:
        assert commands[1] in open(os.path.join(REPO, ".ci", "run")).read()
