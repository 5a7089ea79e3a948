"""The kernel process: its own connection file, parent death, configuration, CLI flags."""

import os
import pathlib
import stat
import subprocess
import sys
import textwrap

import psutil
import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME


def test_help_and_version():
    out = subprocess.run([sys.executable, "-m", "minikernel", "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "-f" in out.stdout and "install" in out.stdout
    out = subprocess.run([sys.executable, "-m", "minikernel", "--version"], capture_output=True, text=True, timeout=30)
    import minikernel
    assert out.stdout.strip() == minikernel.__version__


def test_without_connection_file_writes_its_own(jupyter_env):
    proc = subprocess.Popen([sys.executable, "-m", "minikernel"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        path = line.split("connection file", 1)[1].strip()
        assert os.path.isfile(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        kc = BlockingKernelClient(connection_file=path)
        kc.load_connection_file()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=30)
            reply = kc.execute_interactive("21 * 2", timeout=30)
            assert reply["content"]["status"] == "ok"
            kc.shutdown()
        finally:
            kc.stop_channels()
        assert proc.wait(timeout=30) == 0
        assert not os.path.exists(path), "the connection file the kernel wrote is removed on exit"
    finally:
        proc.kill()
        proc.wait(timeout=10)


LAUNCHER = textwrap.dedent("""
    import os, subprocess, sys
    env = dict(os.environ, JPY_PARENT_PID=str(os.getpid()))
    kernel = subprocess.Popen([sys.executable, "-m", "minikernel", "--Kernel.parent_poll_interval=0.2"], env=env,
                              stdout=subprocess.DEVNULL)
    print(kernel.pid, flush=True)
    kernel.wait()
""")


def test_exits_when_its_launcher_is_killed(jupyter_env):
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdout=subprocess.PIPE, text=True)
    try:
        kernel = psutil.Process(int(launcher.stdout.readline()))
        launcher.kill()
        launcher.wait(timeout=10)
        kernel.wait(timeout=10)  # raises psutil.TimeoutExpired if it lingers
    finally:
        launcher.kill()


def _start(extra):
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(extra_arguments=extra)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    return km, kc


def _out_keys(kc):
    for i in range(3):
        kc.execute_interactive(f"{i}", timeout=30)
    reply = kc.execute_interactive("pass", user_expressions={"k": "sorted(Out)"}, timeout=30)
    return reply["content"]["user_expressions"]["k"]["data"]["text/plain"]


@pytest.mark.parametrize("how", ["command line", "config file", "jupyter config dir"])
def test_traitlets_configuration(tmp_path, jupyter_env, how):
    extra, default_config = [], pathlib.Path(os.environ["JUPYTER_CONFIG_DIR"]) / "minikernel_config.py"
    if how == "command line":
        extra = ["--Kernel.output_cache_size=1"]
    elif how == "config file":
        config = tmp_path / "my_config.py"
        config.write_text("c.Kernel.output_cache_size = 1\n")
        extra = [f"--config={config}"]
    else:  # found by a plain `-f FILE` launch, the way frontends start kernels
        default_config.parent.mkdir(parents=True, exist_ok=True)
        default_config.write_text("c.Kernel.output_cache_size = 1\n")
    try:
        km, kc = _start(extra)
        try:
            assert _out_keys(kc) == "[3]"
        finally:
            kc.stop_channels()
            km.shutdown_kernel()
    finally:
        default_config.unlink(missing_ok=True)


def test_missing_config_file_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "minikernel", f"--config={tmp_path}/nope.py"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
