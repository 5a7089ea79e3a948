"""Write and remove minikernel's kernelspec (kernel.json + logos) (docs: "Kernel specs")."""

from __future__ import annotations

import json
import os
import shutil
import sys

from . import paths

DEFAULT_NAME = "minikernel"
LOGOS = ("logo-32x32.png", "logo-64x64.png", "logo-svg.svg")


def kernels_dir(user: bool = False, prefix: str | None = None) -> str:
    """Where kernelspecs live: the user's data dir, or PREFIX/share/jupyter/kernels."""
    if user:
        return os.path.join(paths.data_dir(), "kernels")
    return os.path.join(prefix or sys.prefix, "share", "jupyter", "kernels")


def default_location() -> tuple[bool, str | None]:
    """Inside a virtualenv install into it (sys.prefix); otherwise into the user's dir."""
    in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
    return (not in_venv, None)


def kernel_json(display_name: str, env: dict[str, str] | None = None,
                interrupt_mode: str = "signal", executable: str | None = None) -> dict:
    # An absolute interpreter: jupyter_client swaps a bare "python" for its own interpreter,
    # which would run the kernel in the wrong environment.
    spec = {
        "argv": [executable or os.path.abspath(sys.executable), "-m", "minikernel", "-f", "{connection_file}"],
        "display_name": display_name,
        "language": "python",
        "interrupt_mode": interrupt_mode,
        # JupyterLab shows its debugger for kernels whose spec says so (service.ts isAvailable).
        "metadata": {"debugger": debugger_available(), "kernel_protocol_version": "5.5",
                     # jupyter_client's transport_encryption="auto" then hands the kernel curve keys.
                     "supported_encryption": ["curve"]},
    }
    if env:
        spec["env"] = dict(env)
    return spec


def debugger_available() -> bool:
    """debugpy is importable (looked up, not imported)."""
    import importlib.util

    return importlib.util.find_spec("debugpy") is not None


def template_dir() -> str:
    """The kernelspec/ template folder: shipped as minikernel/resources in a wheel, found beside
    the package in a source checkout (editable install)."""
    here = os.path.dirname(os.path.abspath(__file__))
    packaged = os.path.join(here, "resources")
    return packaged if os.path.isdir(packaged) else os.path.join(os.path.dirname(here), "kernelspec")


def _copy_logos(dest: str) -> None:
    source = template_dir()
    for name in LOGOS:
        shutil.copyfile(os.path.join(source, name), os.path.join(dest, name))


def install(name: str = DEFAULT_NAME, display_name: str | None = None, user: bool = False,
            prefix: str | None = None, env: dict[str, str] | None = None,
            interrupt_mode: str = "signal") -> str:
    """Write the kernelspec directory and return its path."""
    dest = os.path.join(kernels_dir(user, prefix), name)
    os.makedirs(dest, exist_ok=True)
    spec = kernel_json(display_name or "Python 3 (minikernel)", env, interrupt_mode)
    with open(os.path.join(dest, "kernel.json"), "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")
    _copy_logos(dest)
    return dest


def uninstall(name: str = DEFAULT_NAME, user: bool = False, prefix: str | None = None) -> str:
    """Remove the kernelspec directory; raise FileNotFoundError if it is not there."""
    dest = os.path.join(kernels_dir(user, prefix), name)
    if not os.path.isfile(os.path.join(dest, "kernel.json")):
        raise FileNotFoundError(dest)
    shutil.rmtree(dest)
    return dest
