"""tqdm.auto shows its widget bar in minikernel, as it does under ipykernel.

`tqdm.autonotebook` (which `tqdm.auto` builds on) picks its notebook bar only when
`'ipykernel.zmqshell' in sys.modules` (or JupyterLite's marker module); anywhere else it falls
back to the text bar. minikernel never plants fake ipykernel modules. Instead, right after user
code has imported `tqdm.autonotebook` (the import hook of ipython_compat calls `patch`), its
`tqdm`/`trange` are rebound to `tqdm.notebook`'s, on the same conditions tqdm itself applies in a
notebook: ipywidgets importable (else tqdm's own "IProgress not found" warning and the text bar),
and not a Qt console or Spyder. `tqdm.auto` then derives its class from the notebook bar.
"""

from __future__ import annotations

import os
from typing import Callable

MODULE = "tqdm.autonotebook"


def patch(module, rebind: Callable[[object, str, object], None]) -> None:
    """Rebind `module.tqdm`/`trange` (through `rebind(module, name, value)`, which can undo it)
    when the module fell back to the text bar and the widget bar can work here."""
    if any(name == "QT_API" or name.startswith("SPYDER") for name in os.environ):
        return  # tqdm's own rule: consoles get the text bar
    try:
        from tqdm import notebook, std
    except Exception:  # an old or broken tqdm: leave its choice alone
        return
    if getattr(module, "tqdm", None) is not std.tqdm:
        return  # already the notebook bar (or replaced by someone else)
    if getattr(notebook, "IProgress", None) is None or not hasattr(notebook, "display"):
        import warnings

        warnings.warn(notebook.WARN_NOIPYW, std.TqdmWarning, stacklevel=2)
        return
    rebind(module, "tqdm", notebook.tqdm)
    rebind(module, "trange", notebook.trange)
