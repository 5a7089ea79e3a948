"""What a person does in a JupyterLab notebook tab, as Playwright calls with timeouts.

JupyterLab is started with `expose_app_in_browser`, so `window.jupyterapp` is there to ask
whether the notebook's kernel is really connected: in JupyterLab 4 the toolbar says "idle"
before the websocket is up, and a cell run then is silently dropped. Everything else is done
the way a user does it (clicks, keys) and checked on what the page shows.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from labserver import LabServer

TIMEOUT_MS = 30_000
OPEN_TIMEOUT_MS = 60_000

# The current notebook's kernel connection (JupyterLab services' KernelConnection), or null.
_KERNEL_JS = "window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"
_READY_JS = f"""() => {{
    const k = {_KERNEL_JS};
    return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}}"""
# Records every status the session goes through, to see a restart really happen.
_WATCH_JS = """() => {
    const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
    window.__statuses = [];
    ctx.statusChanged.connect((_, status) => window.__statuses.push(status));
}"""


class NotebookPage:
    def __init__(self, page: Page, lab: LabServer):
        self.page, self.lab = page, lab

    def open(self, name: str, cells: list[str]) -> "NotebookPage":
        """Write a notebook with these cells, open it in a fresh workspace, wait for its kernel."""
        self.lab.write_notebook(name, cells)
        workspace = name.replace(".", "-")
        self.page.goto(self.lab.url(f"/lab/workspaces/{workspace}/tree/{name}"), timeout=OPEN_TIMEOUT_MS)
        expect(self.cells).to_have_count(len(cells), timeout=OPEN_TIMEOUT_MS)
        self.wait_kernel_ready(OPEN_TIMEOUT_MS)
        return self

    def wait_kernel_ready(self, timeout: int = TIMEOUT_MS) -> None:
        self.page.wait_for_function(_READY_JS, timeout=timeout)

    @property
    def panel(self) -> Locator:
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")

    @property
    def cells(self) -> Locator:
        return self.panel.locator(".jp-Notebook .jp-Cell")

    def cell(self, index: int) -> Locator:
        return self.cells.nth(index)

    def editor(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-InputArea-editor .cm-content")

    def outputs(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea-output")

    def run(self, index: int) -> None:
        """Click into the cell and press Shift+Enter, as a person does."""
        self.editor(index).click()
        self.page.keyboard.press("Shift+Enter")

    def expect_prompt(self, index: int, number: int | str, timeout: int = TIMEOUT_MS) -> None:
        """The cell's input prompt shows `[number]:` (`*`: running)."""
        prompt = self.cell(index).locator(".jp-InputPrompt")
        expect(prompt).to_have_text(re.compile(rf"\[{re.escape(str(number))}\]:"), timeout=timeout)

    def set_breakpoint(self, index: int, line: int) -> None:
        """Click the debugger's gutter beside `line` (1-based) of the cell; the red dot shows.
        The first click sometimes lands before the gutter is wired: up to three tries."""
        marks = self.cell(index).locator(".cm-gutters > .cm-gutter.cm-breakpoint-gutter > .cm-gutterElement")
        mark = marks.nth(line)  # element 0 is CodeMirror's invisible spacer
        for attempt in range(3):
            mark.click(position={"x": 5, "y": 5})
            try:
                expect(mark.locator(".cm-breakpoint-icon")).to_be_visible(timeout=2_000)
                return
            except AssertionError:
                if attempt == 2:
                    raise

    def toolbar_button(self, command: str) -> Locator:
        return self.panel.locator(f".jp-NotebookPanel-toolbar jp-button[data-command='{command}']")

    def watch_status(self) -> None:
        self.page.evaluate(_WATCH_JS)

    def wait_restarted(self, timeout: int = TIMEOUT_MS) -> None:
        """The session went through 'restarting' and is back, connected and idle."""
        self.page.wait_for_function(
            f"() => window.__statuses.includes('restarting') && ({_READY_JS})()", timeout=timeout)

    def screenshot(self, path) -> None:
        self.page.screenshot(path=str(path), timeout=TIMEOUT_MS)
