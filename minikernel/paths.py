"""Jupyter's data and runtime directories, computed the way jupyter_core does (without importing it)."""

from __future__ import annotations

import os
import sys


def data_dir() -> str:
    if os.environ.get("JUPYTER_DATA_DIR"):
        return os.environ["JUPYTER_DATA_DIR"]
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Jupyter")
    if os.name == "nt":
        appdata = os.environ.get("APPDATA") or os.path.join(home, "AppData", "Roaming")
        return os.path.join(appdata, "jupyter")
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(home, ".local", "share")
    return os.path.join(xdg, "jupyter")


def runtime_dir() -> str:
    return os.environ.get("JUPYTER_RUNTIME_DIR") or os.path.join(data_dir(), "runtime")


def config_dir() -> str:
    return os.environ.get("JUPYTER_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".jupyter")
