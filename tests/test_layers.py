"""The layers' import rules (README, Architecture), checked on the AST of every module."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "minikernel"

# module prefix -> top-level names it must not import
FORBIDDEN = {
    "wire": {"zmq", "traitlets", "minikernel.channels", "minikernel.engine", "minikernel.dispatch",
             "minikernel.app"},
    "engine": {"zmq", "traitlets", "minikernel.wire", "minikernel.channels", "minikernel.dispatch",
               "minikernel.app"},
    "channels": {"traitlets", "minikernel.engine", "minikernel.dispatch", "minikernel.handlers",
                 "minikernel.app"},
    "connection": {"zmq", "traitlets"},
    "paths": {"zmq", "traitlets"},
    "kernelspec": {"zmq", "traitlets"},
    "dispatch": {"traitlets", "minikernel.app"},
    "comm": {"zmq", "traitlets", "minikernel.wire", "minikernel.channels", "minikernel.engine", "minikernel.dispatch",
             "minikernel.handlers", "minikernel.app"},
    "history": {"zmq", "traitlets", "minikernel.wire", "minikernel.channels", "minikernel.engine",
                "minikernel.dispatch", "minikernel.handlers", "minikernel.app"},
    "handlers": {"traitlets", "minikernel.app"},
    # L1: the kernel's child processes (found and ended at shutdown); stdlib, psutil if present.
    "children": {"zmq", "traitlets", "minikernel.wire", "minikernel.channels", "minikernel.engine",
                 "minikernel.dispatch", "minikernel.handlers", "minikernel.app"},
    # L1 beside engine: the DAP bridge; app.py wires it to control and iopub.
    "debugger": {"zmq", "traitlets", "minikernel.wire", "minikernel.channels", "minikernel.engine",
                 "minikernel.dispatch", "minikernel.handlers", "minikernel.app", "minikernel.comm",
                 "minikernel.history"},
}
NEVER = {"IPython", "ipykernel", "jupyter_client", "jupyter_core", "matplotlib_inline"}


def imports(path: pathlib.Path) -> set[str]:
    module = "minikernel." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.rsplit(".", node.level)[0]
                names.add(f"{base}.{node.module}" if node.module else base)
            else:
                names.add(node.module)
    return names


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    rel = path.relative_to(PACKAGE)
    layer = rel.parts[0].removesuffix(".py")
    found = imports(path)
    for name in found:
        assert name.split(".")[0] not in NEVER, f"{rel} imports {name}"
        for banned in FORBIDDEN.get(layer, ()):
            assert not (name == banned or name.startswith(banned + ".")), f"{rel} imports {name}"


def test_every_module_is_small():
    for path in MODULES:
        assert len(path.read_text().splitlines()) <= 400, path
