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


CONFIG_NAME = "minikernel_config"


def config_dirs() -> list[str]:
    """Where minikernel_config.py / .json are looked for, later ones winning."""
    return [config_dir(), os.getcwd()]


def has_config_file() -> bool:
    return any(os.path.exists(os.path.join(d, CONFIG_NAME + ext)) for d in config_dirs() for ext in (".py", ".json"))
