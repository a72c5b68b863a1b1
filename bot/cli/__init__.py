"""The ``confab`` command line (typer): one module per command family, put together in :mod:`bot.cli.main`.

``confab`` (the console script) and ``python -m bot.cli`` both call :func:`main`.
"""

from bot.cli.main import app, main

__all__ = ["app", "main"]
