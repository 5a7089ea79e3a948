"""papermill runs tests/notebooks/parameters.ipynb on minikernel with `-p` values.

papermill injects a cell with the values right after the cell tagged `parameters`, renders
them in the kernel's language (from the kernelspec: python) and records each cell's status;
the outputs must reflect the injected values, not the defaults.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat

from conftest import KERNEL_NAME

NOTEBOOK = Path(__file__).parent / "notebooks" / "parameters.ipynb"


def papermill(out: Path, *params: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papermill", str(NOTEBOOK), str(out), "-k", KERNEL_NAME,
                           "--execution-timeout", "60", "--no-progress-bar", *params],
                          capture_output=True, text=True, timeout=120)


def outputs(cell) -> list[tuple]:
    kinds = []
    for o in cell.outputs:
        if o.output_type == "stream":
            kinds.append((o.output_type, o.name, o.text))
        elif o.output_type == "execute_result":
            kinds.append((o.output_type, o.data["text/plain"]))
        else:
            kinds.append((o.output_type, o.get("ename")))
    return kinds


def test_papermill_parameters(tmp_path):
    out = tmp_path / "out.ipynb"
    run = papermill(out, "-p", "greeting", "hi", "-p", "times", "3")
    assert run.returncode == 0, run.stderr
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.metadata.get("tags", []) for c in code] == [["parameters"], ["injected-parameters"], [], []]
    assert code[1].source.splitlines()[-2:] == ['greeting = "hi"', "times = 3"]
    assert [c.execution_count for c in code] == [1, 2, 3, 4]
    assert outputs(code[2]) == [("stream", "stdout", "hi hi hi\n")]
    assert outputs(code[3]) == [("execute_result", "30")]
    assert all(c.metadata.papermill.status == "completed" for c in code)
    assert nb.metadata.papermill.parameters == {"greeting": "hi", "times": 3}


def test_papermill_failing_cell(tmp_path):
    """A parameter that makes a cell raise: papermill exits non-zero, names the error, and the
    saved notebook shows it (and marks the cell failed)."""
    out = tmp_path / "out.ipynb"
    run = papermill(out, "-p", "times", "not a number")  # " ".join([...] * str) -> TypeError
    assert run.returncode != 0
    assert "TypeError" in run.stderr
    nb = json.loads(out.read_text())
    failed = [c for c in nb["cells"] if c.get("metadata", {}).get("papermill", {}).get("status") == "failed"]
    assert len(failed) == 1
    assert [o["ename"] for o in failed[0]["outputs"] if o["output_type"] == "error"] == ["TypeError"]
