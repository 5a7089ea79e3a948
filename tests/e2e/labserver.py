"""A private JupyterLab server and a headless Debian Chromium for the browser tests.

Nothing here reaches the network: JupyterLab listens on loopback with a random token, its news,
update checks and extension manager are off, and Chromium is the system one (/usr/bin/chromium),
never a browser downloaded by Playwright. The kernel is registered with
`python -m minikernel install --prefix TMP` and found through JUPYTER_PATH=TMP/share/jupyter, so
nothing is written into the test environment. Every directory JupyterLab writes to (config,
data, runtime, workspaces, settings) is fresh per run: a stale workspace would reopen old
notebooks.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
KERNEL_NAME = "minikernel"
# The kernel the notebooks ask for. E2E_KERNEL=python3 runs the same checks on ipykernel (if it is
# installed), to tell a minikernel bug from a test bug.
NOTEBOOK_KERNEL = os.environ.get("E2E_KERNEL", KERNEL_NAME)
START_TIMEOUT = 90  # JupyterLab's first start on a busy 2-core machine
# Quiet, offline, deterministic Chromium. The crash reporter stays on: without it pages crash in a loop.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
# User settings that keep JupyterLab from asking about news / updates (a toast would cover cells).
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_requirements() -> str | None:
    """Why the browser tests cannot run here, or None. The CI command installs all of it."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing: run tests/e2e/install-chromium.sh (Debian's chromium package)"
    try:
        import jupyterlab  # noqa: F401  (started as `python -m jupyterlab`)
    except ImportError:
        return "python package 'jupyterlab' is missing: pip install -e '.[test]'"
    return None


class LabServer:
    """`python -m jupyterlab` in a temp world; `url(path)` gives an authenticated address."""

    def __init__(self, root: Path):
        self.root = root
        self.notebooks = root / "notebooks"
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.proc: subprocess.Popen | None = None
        self.log_path = root / "jupyterlab.log"

    def _env(self) -> dict:
        prefix = self.root / "prefix"
        subprocess.run([sys.executable, "-m", "minikernel", "install", "--prefix", str(prefix),
                        "--name", KERNEL_NAME], check=True, capture_output=True, timeout=60)
        env = dict(os.environ)
        env.update(JUPYTER_PATH=str(prefix / "share" / "jupyter"),
                   JUPYTER_CONFIG_DIR=str(self.root / "config"),
                   JUPYTER_DATA_DIR=str(self.root / "data"),
                   JUPYTER_RUNTIME_DIR=str(self.root / "runtime"),
                   JUPYTERLAB_SETTINGS_DIR=str(self.root / "settings"),
                   JUPYTERLAB_WORKSPACES_DIR=str(self.root / "workspaces"))
        env.pop("JUPYTER_PLATFORM_DIRS", None)
        env.pop("JUPYTER_CONFIG_PATH", None)
        return env

    def _write_settings(self) -> None:
        for rel, values in SETTINGS.items():
            path = self.root / "settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def start(self) -> None:
        self.notebooks.mkdir(parents=True, exist_ok=True)
        self._write_settings()
        env = self._env()
        args = [sys.executable, "-m", "jupyterlab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.notebooks}",
                "--ServerApp.open_browser=False",
                f"--LabApp.user_settings_dir={self.root / 'settings'}",
                f"--LabApp.workspaces_dir={self.root / 'workspaces'}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
                "--LabApp.expose_app_in_browser=True"]
        if os.geteuid() == 0:
            args.append("--allow-root")  # CI runs as root; JupyterLab refuses without it
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.proc.returncode}):\n{self.log_text()}")
            try:
                self.api("GET", "/api/status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)  # polling a server that is starting: nothing to wait on but the port
        raise RuntimeError(f"JupyterLab did not answer within {START_TIMEOUT}s:\n{self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel the previous check left (closing a tab does not)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = {
            "cells": [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {},
                       "outputs": [], "source": src} for i, src in enumerate(cells)],
            "metadata": {"kernelspec": {"name": NOTEBOOK_KERNEL, "display_name": NOTEBOOK_KERNEL,
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5,
        }
        (self.notebooks / name).write_text(json.dumps(nb))
        return name

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the server shuts its kernels down
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
        self.log.close()


def start_browser():
    """(playwright, browser): Debian's Chromium driven headless by Playwright."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
    except BaseException:
        pw.stop()
        raise
    return pw, browser
