"""The ``confab`` command line (typer).

Feature modules add their commands through ``register(app, eval_app)`` functions listed in
:data:`FEATURE_CLIS`; heavy imports stay inside command bodies so ``confab chat`` starts fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="confab",
    help="Confab: a team assistant for Discord, Slack and the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure quality and speed on real data sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

# modules with ``register(app, eval_app)``; each owns one feature's commands
FEATURE_CLIS: list[str] = [
    "bot.cli_summarize",
    "bot.cli_knowledge",
    "bot.cli_classify",
    "bot.cli_core",
    "bot.cli_doctor",
]


def _register_features() -> None:
    for module_name in FEATURE_CLIS:
        importlib.import_module(module_name).register(app, eval_app)


_register_features()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
