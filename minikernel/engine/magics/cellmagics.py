"""Cell magics: %%capture, %%writefile, %%bash, %%sh, %%script, and the display ones (%%html,
%%javascript / %%js, %%markdown, %%latex, %%svg)."""

from __future__ import annotations

import io
import os
import shlex
import sys

from .. import hooks
from ..display import DisplayPublisher
from ..events import ClearOutput, DisplayData, UpdateDisplayData
from .registry import UsageError


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as e:
        raise UsageError(f"cannot parse the arguments {line!r}: {e}") from None


# -- %%capture ------------------------------------------------------------------------------------
class RichOutput:
    """One captured display output; displaying it shows it again."""

    def __init__(self, data: dict, metadata: dict | None = None):
        self.data, self.metadata = data, metadata or {}

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.data, self.metadata

    def display(self) -> None:
        from ..display import display

        display(self.data, raw=True, metadata=self.metadata)


class CapturedIO:
    """What %%capture kept: `.stdout`, `.stderr` (text), `.outputs` (RichOutput list);
    `.show()` (or calling it) writes and displays them again."""

    def __init__(self, stdout: io.StringIO | None, stderr: io.StringIO | None, outputs: list):
        self._stdout, self._stderr, self.outputs = stdout, stderr, outputs

    def __repr__(self) -> str:
        return f"<CapturedIO: {len(self.stdout)} chars stdout, {len(self.stderr)} chars stderr, " \
               f"{len(self.outputs)} outputs>"

    @property
    def stdout(self) -> str:
        return self._stdout.getvalue() if self._stdout is not None else ""

    @property
    def stderr(self) -> str:
        return self._stderr.getvalue() if self._stderr is not None else ""

    def show(self) -> None:
        if self.stdout:
            sys.stdout.write(self.stdout)
        if self.stderr:
            sys.stderr.write(self.stderr)
        for output in self.outputs:
            output.display()

    __call__ = show


class _TextCapture(io.StringIO):
    def isatty(self) -> bool:
        return False


def capture(ctx, line: str, cell: str):
    """%%capture [--no-stdout] [--no-stderr] [--no-display] [name]

    Run the cell, keeping its stdout, stderr and displayed outputs instead of showing them. With
    a name, a CapturedIO is stored under it: .stdout, .stderr, .outputs, .show()."""
    words = _words(line)
    flags = {w for w in words if w.startswith("-")}
    unknown = flags - {"--no-stdout", "--no-stderr", "--no-display"}
    names = [w for w in words if not w.startswith("-")]
    if unknown or len(names) > 1 or (names and not names[0].isidentifier()):
        raise UsageError("usage: %%capture [--no-stdout] [--no-stderr] [--no-display] [name]")
    out = None if "--no-stdout" in flags else _TextCapture()
    err = None if "--no-stderr" in flags else _TextCapture()
    outputs: list[RichOutput] = []

    def keep(event) -> None:
        if isinstance(event, (DisplayData, UpdateDisplayData)):
            outputs.append(RichOutput(event.data, event.metadata))
        elif isinstance(event, ClearOutput):
            outputs.clear()

    publisher = None if "--no-display" in flags else DisplayPublisher(keep)
    captured = CapturedIO(out, err, outputs)
    try:
        with hooks.redirected(out, err, publisher):
            ctx.run(cell)
    finally:  # kept even when the cell fails (what ran so far)
        if names:
            ctx.namespace[names[0]] = captured


# -- %%writefile ----------------------------------------------------------------------------------
def writefile(ctx, line: str, cell: str):
    """%%writefile [-a] filename

    Write the cell's text to a file (-a / --append: add to its end)."""
    words = _words(line)
    append = bool({"-a", "--append"} & set(words))
    names = [w for w in words if w not in ("-a", "--append")]
    if len(names) != 1 or names[0].startswith("-"):
        raise UsageError("usage: %%writefile [-a] filename")
    path = os.path.expanduser(names[0])
    exists = os.path.exists(path)
    verb = "Appending to" if append and exists else "Overwriting" if exists else "Writing"
    with open(path, "a" if append else "w", encoding="utf-8") as f:
        f.write(cell)
    print(f"{verb} {names[0]}")


# -- scripts --------------------------------------------------------------------------------------
def _script_words(line: str, usage: str) -> tuple[list[str], bool]:
    """(argv words, raise_error) of a %%script / %%bash line; options before the program only."""
    words, raise_error = _words(line), True
    while words and words[0].startswith("--"):
        option = words.pop(0)
        if option not in ("--no-raise-error", "--raise-error"):
            raise UsageError(f"unknown option {option}; {usage}")
        raise_error = option == "--raise-error"
    return words, raise_error


def _run_script(argv: list[str], cell: str, raise_error: bool = True) -> None:
    from . import shell

    try:
        status = shell.run_script(argv, cell)
    except FileNotFoundError:
        raise UsageError(f"cannot run {argv[0]!r}: no such program") from None
    except PermissionError:
        raise UsageError(f"cannot run {argv[0]!r}: permission denied") from None
    if status and raise_error:
        import subprocess

        raise subprocess.CalledProcessError(status, " ".join(argv))


def script(ctx, line: str, cell: str):
    """%%script [--no-raise-error] program [args...]

    Run the cell's text with a program (python3, perl, ruby, node, ...), given on its stdin.
    Output shows as it is produced; interrupt stops the program (and all it started). A non-zero
    exit status is an error (CalledProcessError) unless --no-raise-error."""
    usage = "usage: %%script [--no-raise-error] program [args...]"
    words, raise_error = _script_words(line, usage)
    if not words:
        raise UsageError(usage)
    _run_script(words, cell, raise_error)


def _shell_magic(program: str):
    def run(ctx, line: str, cell: str):
        words, raise_error = _script_words(line, f"usage: %%{program} [--no-raise-error] [args...]")
        _run_script([program] + words, cell, raise_error)

    run.__name__ = program
    run.__doc__ = (f"%%{program} [--no-raise-error] [args...]\n\nRun the cell with {program} "
                   f"(%%script {program}); output shows live, interrupt stops it.")
    return run


# -- displays -------------------------------------------------------------------------------------
def _display_magic(name: str, mimetype: str, label: str):
    def show(ctx, line: str, cell: str):
        ctx.display({mimetype: cell, "text/plain": f"<{label} object>"}, raw=True)

    show.__name__ = name
    show.__doc__ = f"%%{name}\n\nDisplay the cell as {mimetype}."
    return show


_DISPLAYS = (("html", "text/html", "HTML"), ("javascript", "application/javascript", "Javascript"),
             ("js", "application/javascript", "Javascript"), ("markdown", "text/markdown", "Markdown"),
             ("latex", "text/latex", "Latex"), ("svg", "image/svg+xml", "SVG"))


def register(registry) -> None:
    registry.add_cell("capture", capture)
    registry.add_cell("writefile", writefile)
    registry.add_cell("script", script)
    for program in ("bash", "sh"):
        registry.add_cell(program, _shell_magic(program))
    for name, mimetype, label in _DISPLAYS:
        registry.add_cell(name, _display_magic(name, mimetype, label))
