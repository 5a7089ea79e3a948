"""`jupyter nbconvert --to notebook --execute` runs tests/notebooks/frontends.ipynb on minikernel.

The command line is the user's: a subprocess, the kernel found by name through the session's
temporary JUPYTER_PATH. What the executed notebook holds is compared with the expected outputs
below, reduced to what does not depend on the run (no tracebacks' colours, no timings).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat

from conftest import KERNEL_NAME

NOTEBOOKS = Path(__file__).parent / "notebooks"
FRONTENDS = NOTEBOOKS / "frontends.ipynb"
STDIN_ERROR = ("StdinNotImplementedError",
               "input() is not available: this frontend does not support stdin "
               "(the request was sent with allow_stdin=False)")

# Per code cell of frontends.ipynb: (execution_count, normalized outputs).
EXPECTED = [
    (1, [("stream", "stdout", "hello nbconvert\n")]),
    (2, [("execute_result", 2, {"text/plain": "45"})]),
    # display_id: the later handle.update() rewrote this output in place ("draft" -> "final").
    (3, [("display_data", {"text/plain": "'final'"}), ("execute_result", 3, {"text/plain": "'shown'"})]),
    (4, []),
    (5, [("error", "KeyError", "'missing'", "Cell In[5], line 1")]),
    (6, [("error", *STDIN_ERROR, "Cell In[6], line 1")]),  # nbconvert sends allow_stdin=False
    (7, [("stream", "stderr", "to stderr\n"), ("execute_result", 7, {"text/plain": "{'still': 'running'}"})]),
]


def normalize(output: dict) -> tuple:
    kind = output["output_type"]
    if kind == "stream":
        return kind, output["name"], output["text"]
    if kind == "execute_result":
        return kind, output["execution_count"], dict(output["data"])
    if kind == "display_data":
        return kind, dict(output["data"])
    if kind == "error":
        # The traceback names the cell as ipykernel does; find the "Cell In[n], line m" header.
        plain = strip_ansi("\n".join(output["traceback"]))
        cell = next((line for line in plain.splitlines() if line.startswith("Cell In[")), None)
        return kind, output["ename"], output["evalue"], cell
    return (kind,)


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def code_cells(nb) -> list[tuple]:
    return [(c.execution_count, [normalize(o) for o in c.outputs]) for c in nb.cells if c.cell_type == "code"]


def nbconvert(notebook: Path, out_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                           f"--ExecutePreprocessor.kernel_name={KERNEL_NAME}",
                           "--ExecutePreprocessor.timeout=60", "--output-dir", str(out_dir),
                           *extra, str(notebook)],
                          capture_output=True, text=True, timeout=120)


def test_nbconvert_execute_allow_errors(tmp_path):
    run = nbconvert(FRONTENDS, tmp_path, "--allow-errors")
    assert run.returncode == 0, run.stderr
    nb = nbformat.read(tmp_path / FRONTENDS.name, as_version=4)
    assert code_cells(nb) == EXPECTED
    assert nb.metadata.language_info.name == "python"
    nbformat.validate(nb)


def test_nbconvert_stops_at_untagged_error(tmp_path):
    """Without --allow-errors the tagged KeyError cell passes, the input() cell (stdin
    disabled) stops the run with a clear message, and nothing is written."""
    run = nbconvert(FRONTENDS, tmp_path)
    assert run.returncode != 0
    assert "StdinNotImplementedError" in run.stderr
    assert "allow_stdin=False" in run.stderr
    assert 'input("name? ")' in run.stderr  # the failing cell is shown
    assert not (tmp_path / FRONTENDS.name).exists()
