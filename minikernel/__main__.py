"""L4: the command line. `python -m minikernel -f FILE` runs a kernel; `install` / `uninstall`
manage its kernelspec."""

from __future__ import annotations

import argparse
import sys


def _install_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m minikernel install",
                                description="Register minikernel as a Jupyter kernel for this Python "
                                            f"({sys.executable}).")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="install for the current user")
    where.add_argument("--sys-prefix", action="store_true",
                       help="install into this environment (sys.prefix); the default inside a virtualenv")
    where.add_argument("--prefix", metavar="DIR", help="install into DIR/share/jupyter/kernels")
    p.add_argument("--name", default="minikernel", help="kernelspec name (default: minikernel)")
    p.add_argument("--display-name", help="name shown in frontends (default: 'Python 3 (minikernel)')")
    p.add_argument("--env", nargs="*", default=[], metavar="KEY=VALUE", help="environment variables for the kernel")
    p.add_argument("--interrupt-mode", choices=["signal", "message"], default="signal",
                   help="how frontends interrupt the kernel (default: signal)")
    return p


def _uninstall_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m minikernel uninstall", description="Remove a minikernel kernelspec.")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true")
    where.add_argument("--sys-prefix", action="store_true")
    where.add_argument("--prefix", metavar="DIR")
    p.add_argument("--name", default="minikernel")
    return p


def _location(args) -> tuple[bool, str | None]:
    from . import kernelspec

    if args.user:
        return True, None
    if args.sys_prefix:
        return False, sys.prefix
    if args.prefix:
        return False, args.prefix
    return kernelspec.default_location()


def install(argv: list[str]) -> int:
    from . import kernelspec

    args = _install_parser().parse_args(argv)
    env = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            print(f"minikernel install: --env takes KEY=VALUE, not {item!r}", file=sys.stderr)
            return 2
        env[key] = value
    user, prefix = _location(args)
    dest = kernelspec.install(args.name, args.display_name, user, prefix, env, args.interrupt_mode)
    print(f"Installed kernelspec {args.name} in {dest}")
    return 0


def uninstall(argv: list[str]) -> int:
    from . import kernelspec

    args = _uninstall_parser().parse_args(argv)
    user, prefix = _location(args)
    try:
        dest = kernelspec.uninstall(args.name, user, prefix)
    except FileNotFoundError as e:
        print(f"minikernel uninstall: no kernelspec {args.name!r} at {e}", file=sys.stderr)
        return 1
    print(f"Removed kernelspec {args.name} from {dest}")
    return 0


def _plain_connection_file(argv: list[str]) -> str | None:
    """The file of a bare `-f FILE` (what frontends run), else None."""
    if len(argv) == 2 and argv[0] in ("-f", "--f", "--connection-file"):
        return argv[1]
    if len(argv) == 1 and argv[0].startswith(("-f=", "--f=", "--connection-file=")):
        return argv[0].split("=", 1)[1]
    return None


def run(argv: list[str]) -> int:
    from . import paths
    from .app import KernelOptions, run_kernel
    from .connection import ConnectionFileError

    try:
        plain = _plain_connection_file(argv)
        if plain is not None and not paths.has_config_file():
            run_kernel(plain, KernelOptions())
            return 0
        from .config import MiniKernelApp

        app = MiniKernelApp()
        app.initialize(argv)
        run_kernel(app.connection_file, app.options(), app.log_level)
    except ConnectionFileError as e:
        print(f"minikernel: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # traitlets config errors and the like: one line, no traceback
        if type(e).__module__.startswith("traitlets"):
            print(f"minikernel: {e}", file=sys.stderr)
            return 2
        raise
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "install":
        return install(argv[1:])
    if argv and argv[0] == "uninstall":
        return uninstall(argv[1:])
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
