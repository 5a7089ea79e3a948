"""minikernel: a small, fast, native Jupyter kernel for Python."""

__version__ = "0.1.0"
