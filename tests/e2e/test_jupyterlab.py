"""minikernel in JupyterLab in a real browser: what a person sees after each action.

One JupyterLab server and one headless Chromium per module; every check opens a fresh
notebook (its own workspace) and stops its kernels afterwards. A screenshot of every check,
passed or failed, lands in tests/e2e/artifacts/<test>.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from labserver import LabServer, missing_requirements, start_browser
from notebookpage import NotebookPage

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ARTIFACTS = Path(__file__).parent / "artifacts"
# Playwright's default 5 s is short for a first widget/plot render on a busy 2-core CI machine.
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    why = missing_requirements()
    if why:
        pytest.fail(f"cannot run the browser tests: {why}")
    ARTIFACTS.mkdir(exist_ok=True)
    server = LabServer(tmp_path_factory.mktemp("lab"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(lab):
    pw, browser = start_browser()
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


@pytest.fixture
def nb(request, lab, browser):
    """A fresh browser page; a screenshot at the end whatever happened; kernels stopped."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    notebook = NotebookPage(page, lab)
    try:
        yield notebook
    finally:
        try:
            notebook.screenshot(ARTIFACTS / f"{request.node.name}.png")
        finally:
            context.close()
            lab.shutdown_kernels()


def test_print_output(nb):
    nb.open("print.ipynb", ["print('hello from minikernel')"])
    nb.run(0)
    nb.expect_prompt(0, 1)
    expect(nb.outputs(0)).to_have_text("hello from minikernel\n")


def test_expression_result(nb):
    nb.open("expr.ipynb", ["x = 40", "1 + 1"])
    nb.run(0)
    nb.run(1)
    nb.expect_prompt(1, 2)
    result = nb.cell(1).locator(".jp-OutputArea-executeResult")
    expect(result.locator(".jp-OutputPrompt")).to_have_text("[2]:")
    expect(result.locator(".jp-OutputArea-output")).to_have_text("2")


def test_exception_traceback(nb):
    nb.open("error.ipynb", ["def boom():\n    raise ValueError('boom here')\n\nboom()"])
    nb.run(0)
    nb.expect_prompt(0, 1)
    error = nb.cell(0).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    expect(error).to_contain_text("ValueError: boom here")
    expect(error).to_contain_text("Cell In[1], line 4")  # the cell is named, as in ipykernel
    # ANSI colours become coloured spans (class ansi-*-fg), not raw escape codes.
    assert error.locator("span[class*='ansi-']").count() > 0
    assert "\x1b[" not in error.inner_text()


def test_matplotlib_image(nb):
    nb.open("plot.ipynb", ["import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.show()"])
    nb.run(0)
    nb.expect_prompt(0, 1, timeout=60_000)  # the first matplotlib import is slow
    image = nb.cell(0).locator(".jp-RenderedImage img")
    expect(image).to_be_visible()
    assert image.get_attribute("src").startswith("data:image/png;base64,")
    assert image.evaluate("img => img.naturalWidth") > 100  # a real decoded picture


def test_dataframe_html_table(nb):
    nb.open("pandas.ipynb", ["import pandas as pd\npd.DataFrame({'name': ['ada', 'grace'], 'year': [1815, 1906]})"])
    nb.run(0)
    nb.expect_prompt(0, 1, timeout=60_000)
    table = nb.cell(0).locator(".jp-RenderedHTMLCommon table.dataframe")
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(["", "name", "year"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(1)).to_contain_text("grace")


def test_input_box(nb):
    nb.open("input.ipynb", ["name = input('your name? ')\nprint('hello', name)"])
    nb.run(0)
    box = nb.cell(0).locator(".jp-Stdin-input")
    expect(box).to_be_visible()
    box.fill("Ada")
    box.press("Enter")
    nb.expect_prompt(0, 1)
    text = nb.cell(0).locator(".jp-OutputArea")
    expect(text).to_contain_text("your name? Ada")  # the answer is echoed after the prompt
    expect(text).to_contain_text("hello Ada")


def test_widget_slider(nb):
    nb.open("widget.ipynb", [
        "import ipywidgets as widgets\nslider = widgets.IntSlider(value=5, min=0, max=10)\n"
        "moves = []\nslider.observe(lambda change: moves.append(change['new']), 'value')\nslider",
        "slider.value, moves",
    ])
    nb.run(0)
    nb.expect_prompt(0, 1, timeout=60_000)
    handle = nb.cell(0).locator(".widget-slider .noUi-handle")
    expect(handle).to_be_visible()
    handle.focus()
    handle.press("ArrowRight")
    handle.press("ArrowRight")
    expect(nb.cell(0).locator(".widget-readout")).to_have_text("7")
    nb.run(1)
    nb.expect_prompt(1, 2)
    # The kernel-side value and the kernel's observer both saw the browser's moves.
    expect(nb.outputs(1)).to_have_text("(7, [6, 7])")


def test_tab_completion(nb):
    nb.open("complete.ipynb", ["my_value_alpha = 1\nmy_value_beta = 2", ""])
    nb.run(0)
    nb.expect_prompt(0, 1)
    nb.editor(1).click()
    nb.page.keyboard.type("my_val")
    nb.page.keyboard.press("Tab")
    completer = nb.page.locator(".jp-Completer")
    expect(completer).to_be_visible()
    items = completer.locator(".jp-Completer-item .jp-Completer-match")
    expect(items).to_have_text([re.compile("my_value_alpha"), re.compile("my_value_beta")])


def test_interrupt_button(nb):
    nb.open("interrupt.ipynb", ["import time\nprint('sleeping', flush=True)\ntime.sleep(60)", "'still alive'"])
    nb.run(0)
    expect(nb.outputs(0).first).to_have_text("sleeping\n")
    nb.toolbar_button("notebook:interrupt-kernel").click()
    expect(nb.cell(0).locator(".jp-OutputArea")).to_contain_text("KeyboardInterrupt", timeout=15_000)
    nb.expect_prompt(0, 1)
    nb.run(1)
    nb.expect_prompt(1, 2)
    expect(nb.outputs(1)).to_have_text("'still alive'")


def test_restart_clears_variables(nb):
    nb.open("restart.ipynb", ["x = 41", "x + 1"])
    nb.run(0)
    nb.run(1)
    nb.expect_prompt(1, 2)
    expect(nb.outputs(1)).to_have_text("42")
    nb.watch_status()
    nb.toolbar_button("notebook:restart-kernel").click()
    nb.page.locator(".jp-Dialog .jp-mod-accept").click()  # "Restart"
    nb.wait_restarted()
    nb.run(1)
    nb.expect_prompt(1, 1)  # a new kernel counts from 1 again
    expect(nb.outputs(1)).to_contain_text("NameError: name 'x' is not defined")


def test_debugger_breakpoint(nb):
    nb.open("debug.ipynb", ["def add(a, b):\n    total = a + b\n    return total\n\nresult = add(2, 3)\nprint('result', result)"])
    bug = nb.panel.locator(".jp-NotebookPanel-toolbar .jp-DebuggerBugButton")
    # Enabled only when kernel_info_reply says `debugger: true`.
    expect(bug).to_have_attribute("aria-disabled", "false")
    bug.click()
    expect(bug).to_have_attribute("aria-pressed", "true")
    expect(nb.page.locator(".jp-DebuggerVariables")).to_be_visible()  # the debugger sidebar opened
    nb.set_breakpoint(0, line=3)  # `return total`
    nb.run(0)
    frame = nb.page.locator(".jp-DebuggerCallstack-body .jp-DebuggerCallstackFrame").first
    expect(frame).to_contain_text("add")  # stopped inside add()
    nb.expect_prompt(0, "*")  # ... so the cell is still running
    # JupyterLab recognises the frame's source path as this cell (the kernel's debugInfo hash and
    # temp-file names match its own) and highlights the stopped line in it. (The breakpoints
    # panel names the breakpoint by its temp file: Lab shows "Cell [n]" only for paths that
    # contain "ipykernel_".)
    expect(nb.cell(0).locator(".jp-DebuggerEditor-highlight")).to_have_text("    return total")
    expect(nb.page.locator(".jp-DebuggerBreakpoints .jp-DebuggerBreakpoint")).to_have_count(1)
    total = nb.page.locator(".jp-DebuggerVariables-body").get_by_role("treeitem", name=re.compile(r"^total"))
    expect(total).to_contain_text("5")  # the local variable, with its value
    nb.page.locator("jp-button[title^='Continue']").click()
    nb.expect_prompt(0, 1)
    expect(nb.outputs(0)).to_have_text("result 5\n")
