"""Magics (`%line`, `%%cell`), shell escapes (`!cmd`) and help syntax (`obj?`), without IPython.

- preprocess.py  cell source -> Python source, one line for one line (before parsing)
- registry.py    MagicRegistry (one per Executor; built-in modules load on first use), UsageError
- runner.py      what the rewritten lines call (a builtin installed by engine/hooks.py)
- context.py     MagicContext: what a magic function may use
- interpolate.py `$var`, `$$`, `{expr}` in shell lines and magic arguments
- shell.py       `!cmd`, `x = !cmd`, SList, child processes (live output, interrupt, no orphans)
- help.py        `obj?`, `obj??` as a pager payload
- cellmagics.py  %%capture %%writefile %%bash %%sh %%script %%html %%javascript %%markdown ...
- ipython_api.py get_ipython().run_line_magic / run_cell_magic / system / getoutput /
                 register_magic_function, for libraries that call them
- builtin.py     the modules whose `register(registry)` provides the built-in magics:
                 cellmagics.py, and timing, navigation, names, scripts, profile, session
                 (with options.py, settings.py)

Nothing is imported here: importing the package costs nothing.
"""
