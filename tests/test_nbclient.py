"""nbclient runs a notebook on minikernel: the outputs are what the cells should produce."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbformat.v4 import new_code_cell, new_notebook

from conftest import KERNEL_NAME

NOTEBOOK = Path(__file__).parent / "notebooks" / "basic.ipynb"

pytestmark = pytest.mark.usefixtures("jupyter_env")

# Per code cell of basic.ipynb: (execution_count, outputs), each output reduced to the fields
# that matter (no volatile ones such as tracebacks' colours or metadata).
EXPECTED = [
    (1, [("stream", "stdout", "hello from minikernel\n")]),
    (2, [("execute_result", 2, ["text/plain"], "42")]),
    (3, [("display_data", ["text/html", "text/plain"], "<b>bold</b>")]),
    (4, []),
    (5, [("execute_result", 5, ["text/plain"], "'HELLO, NOTEBOOK'")]),
    (6, [("stream", "stderr", "careful\n")]),
    (7, [("error", "ValueError", "expected failure")]),
    (8, [("execute_result", 8, ["text/plain"], "'still running'")]),
]


def summary(output: dict) -> tuple:
    kind = output["output_type"]
    if kind == "stream":
        return kind, output["name"], output["text"]
    if kind == "execute_result":
        return kind, output["execution_count"], sorted(output["data"]), output["data"]["text/plain"]
    if kind == "display_data":
        return kind, sorted(output["data"]), output["data"].get("text/html")
    if kind == "error":
        return kind, output["ename"], output["evalue"]
    return (kind,)


def test_basic_notebook():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=60).execute()

    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    got = [(c.execution_count, [summary(o) for o in c.outputs]) for c in code_cells]
    assert got == EXPECTED
    assert nb.metadata.language_info.name == "python"
    assert nb.metadata.language_info.file_extension == ".py"
    error = code_cells[6].outputs[0]
    assert any("ValueError" in line for line in error["traceback"])
    nbformat.validate(nb)  # what came back is a valid notebook


def test_untagged_error_stops_the_notebook():
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0"), new_code_cell("x = 2")])
    client = NotebookClient(nb, kernel_name=KERNEL_NAME, timeout=60)
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "ZeroDivisionError"
    assert [c.execution_count for c in nb.cells] == [1, 2, None]  # the last cell never ran
    assert nb.cells[1].outputs[0]["ename"] == "ZeroDivisionError"
