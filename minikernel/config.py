"""L3: the traitlets command line and config files (`--Kernel.x=value`, minikernel_config.py).

Imported only when there is something to configure: a plain `-f FILE` with no config file
skips traitlets' Application (~50 ms of start-up). KernelOptions stays the single source of
the options; the traitlets `Kernel` class is made from its fields.
"""

from __future__ import annotations

import os
from dataclasses import fields

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Application, Configurable

from . import __version__, paths
from .app import KernelOptions
from .connection import ConnectionFileError

_TRAITS = {float: Float, int: Integer, str: Unicode, bool: Bool}


Kernel = type("Kernel", (Configurable,), {
    "__doc__": KernelOptions.__doc__,
    **{f.name: _TRAITS[type(f.default)](f.default, config=True, help=f.metadata["help"]) for f in fields(KernelOptions)},
})


class MiniKernelApp(Application):
    name = "minikernel"
    description = ("minikernel: a small, fast Jupyter kernel for Python. Run it as `python -m minikernel "
                   "-f CONNECTION_FILE`; register it with `python -m minikernel install` (see install --help).")
    version = __version__
    connection_file = Unicode("", config=True, help="The connection file to use; without it the kernel "
                                                    "writes its own and prints its path.")
    config_file = Unicode("", config=True, help="A config file (.py or .json) to load.")
    aliases = {
        "f": "MiniKernelApp.connection_file",
        "connection-file": "MiniKernelApp.connection_file",
        "log-level": "Application.log_level",
        "config": "MiniKernelApp.config_file",
    }
    classes = [Kernel]

    def initialize(self, argv=None) -> None:
        self.parse_command_line(argv)
        for directory in paths.config_dirs():
            self.load_config_file(paths.CONFIG_NAME, path=[directory])
        if self.config_file:
            if not os.path.isfile(self.config_file):
                raise ConnectionFileError(f"{self.config_file}: no such config file")
            directory, name = os.path.split(os.path.abspath(self.config_file))
            self.load_config_file(name, path=[directory])
        self.update_config(self.cli_config)  # the command line wins over config files

    def options(self) -> KernelOptions:
        kernel = Kernel(parent=self)
        return KernelOptions(**{f.name: getattr(kernel, f.name) for f in fields(KernelOptions)})
