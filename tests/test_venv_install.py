"""Per-virtualenv install, as a user does it: a brand-new venv, `pip install` of the project,
`python -m minikernel install --sys-prefix --name X`. Then `jupyter kernelspec list` in that venv
shows X inside it, and a jupyter_client from a *different* environment (the test venv) launches
X, whose `sys.prefix` is the new venv.

pip builds minikernel from a copy of the source (an in-tree build would write build/ and
*.egg-info into the checkout) and takes its dependencies from pip's cache when it can: ~10 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Kernel

REPO = Path(__file__).resolve().parent.parent
NAME = "minikernel-venv-test"

pytestmark = pytest.mark.timeout(300)


def copy_source(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    for name in ("minikernel", "kernelspec"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    return dest


def run(args, cwd: Path, **kw) -> str:
    # Never the checkout as cwd: `python -m minikernel` would import the checkout's package.
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          timeout=kw.pop("timeout", 120), **kw)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("venv-install")
    venv = root / "venv"
    run([sys.executable, "-m", "venv", venv], cwd=root)
    python = venv / "bin" / "python"
    # jupyter_client gives the venv its own `jupyter kernelspec` command.
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         copy_source(root / "src"), "jupyter_client"], cwd=root, timeout=240)
    run([python, "-m", "minikernel", "install", "--sys-prefix", "--name", NAME], cwd=root)
    return venv


def venv_env(venv: Path, tmp_path: Path) -> dict:
    """The venv's own view: no test JUPYTER_PATH, an empty user data dir, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER") and k != "PYTHONPATH"}
    env.update(JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    return env


def test_kernelspec_list_in_the_venv_shows_it(venv, tmp_path):
    listing = run([venv / "bin" / "jupyter", "kernelspec", "list"], cwd=tmp_path, env=venv_env(venv, tmp_path))
    spec_dir = venv / "share" / "jupyter" / "kernels" / NAME
    assert any(line.split() == [NAME, str(spec_dir)] for line in listing.splitlines()), listing
    argv = json.loads((spec_dir / "kernel.json").read_text())["argv"]
    assert argv[0] == str(venv / "bin" / "python")  # the venv's interpreter, absolute


def test_the_wheel_holds_every_package(venv):
    """pip installed a wheel (not a link to the checkout) with every package of the source tree:
    a subpackage missing from pyproject's `packages` list is absent here."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    source = {p.parent.relative_to(REPO).as_posix() for p in (REPO / "minikernel").rglob("__init__.py")}
    installed = {p.parent.relative_to(site).as_posix() for p in (site / "minikernel").rglob("__init__.py")}
    assert source - installed == set()


def result_text(kernel: Kernel, code: str) -> str:
    reply, outputs = kernel.execute(code)
    assert reply["content"]["status"] == "ok", reply["content"]
    [result] = [m for m in outputs if m["msg_type"] == "execute_result"]
    return result["content"]["data"]["text/plain"]


def test_another_environment_launches_it(venv, monkeypatch, tmp_path):
    """jupyter_client from the test venv finds X through JUPYTER_PATH and starts it; the kernel
    runs in the new venv, on the minikernel installed there."""
    from jupyter_client.manager import start_new_kernel

    monkeypatch.setenv("JUPYTER_PATH", str(venv / "share" / "jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    assert Path(sys.prefix).resolve() != venv.resolve()
    km, kc = start_new_kernel(kernel_name=NAME, startup_timeout=60, cwd=str(tmp_path))
    try:
        kernel = Kernel(km, kc)
        assert result_text(kernel, "import sys; sys.prefix") == repr(str(venv))
        assert result_text(kernel, "import minikernel; minikernel.__file__").startswith(repr(str(venv))[:-1])
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
