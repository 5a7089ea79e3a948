"""L1: runs Python for the kernel. Knows nothing of sockets or the wire.

It talks outward through injected callables: `emit(event)` for rich output, `write(name, text)`
for stream text, and `ask_input(prompt, password) -> str` for stdin.
"""
