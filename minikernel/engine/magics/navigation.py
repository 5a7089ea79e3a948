"""%cd, %pwd, %ls, %env, %set_env.

The directory history is the list `_dh` in the user namespace (as in IPython): every %cd appends
the new directory, and `%cd -` goes back to the one before.
"""

from __future__ import annotations

import os
import sys

from .options import parse_options
from .registry import UsageError

SECRET_MARKERS = ("KEY", "TOKEN", "SECRET", "PASS")  # %env without arguments hides these values


def _history(ns: dict) -> list:
    dh = ns.get("_dh")
    if not isinstance(dh, list) or not dh:
        dh = ns["_dh"] = [os.getcwd()]
    return dh


def cd(ctx, line: str) -> None:
    """Change the working directory: %cd [-q] [DIR | - | ~]

    No DIR: the home directory; `-`: the previous directory; prints the new one (not with -q)."""
    opts, target = parse_options(line, "q")
    dh = _history(ctx.namespace)
    if target == "-":
        if len(dh) < 2:
            raise UsageError("%cd -: there is no previous directory")
        target = dh[-2]
    elif not target:
        target = "~"
    elif len(target) > 1 and target[0] == target[-1] and target[0] in "'\"":
        target = target[1:-1]
    path = os.path.expandvars(os.path.expanduser(target))
    try:
        os.chdir(path)
    except OSError as e:
        raise UsageError(f"%cd: {e.strerror}: {path!r}") from None
    cwd = os.getcwd()
    if dh[-1] != cwd:
        dh.append(cwd)
    if "q" not in opts:
        print(cwd)


def pwd(ctx, line: str) -> str:
    """The current working directory (a str, shown as the result)."""
    if line.strip():
        raise UsageError("%pwd takes no arguments")
    return os.getcwd()


def ls(ctx, line: str) -> None:
    """List files through the shell: %ls [ls options and paths] (runs `ls -F`, coloured)."""
    color = " -G" if sys.platform == "darwin" else " --color=always" if sys.platform.startswith("linux") else ""
    if os.name == "nt":
        ctx.system(f"dir {line}")
        return
    ctx.system(f"ls -F{color} {line}".rstrip())


def _shown_environ() -> dict:
    env = dict(os.environ)
    for key in env:
        if any(marker in key.upper() for marker in SECRET_MARKERS):
            env[key] = "<hidden>"
    return env


def env(ctx, line: str):
    """Get or set environment variables.

    %env            all of them as a dict (values of names containing KEY, TOKEN, SECRET or
                    PASS shown as <hidden>)
    %env VAR        the value of VAR
    %env VAR=value  or  %env VAR value: set VAR (for the kernel and the processes it starts)"""
    arg = line.strip()
    if not arg:
        return _shown_environ()
    name, sep, value = arg.partition("=")
    if not sep:
        name, _, value = arg.partition(" ")
        if not value.strip():
            if name not in os.environ:
                raise UsageError(f"Environment does not have key: {name}")
            return os.environ[name]
    return _set(name.strip(), value.strip())


def _set(name: str, value: str) -> None:
    if not name or "=" in name or any(c.isspace() for c in name):
        raise UsageError(f"bad environment variable name: {name!r}")
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    os.environ[name] = value
    print(f"env: {name}={value}")


def set_env(ctx, line: str) -> None:
    """Set an environment variable: %set_env VAR value (or VAR=value)"""
    arg = line.strip()
    name, sep, value = arg.partition("=") if "=" in arg.split(" ", 1)[0] else arg.partition(" ")
    if not name or not sep:
        raise UsageError("usage: %set_env VAR value")
    _set(name.strip(), value.strip())


def register(registry) -> None:
    registry.add_line("cd", cd)
    registry.add_line("pwd", pwd)
    registry.add_line("ls", ls)
    registry.add_line("env", env)
    registry.add_line("set_env", set_env)
