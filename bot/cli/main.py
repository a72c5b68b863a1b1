"""The ``confab`` app: every command and where it lives.

Heavy imports stay inside command bodies so ``confab chat`` starts fast.
"""

from __future__ import annotations

import typer

from bot.cli.chat import chat
from bot.cli.classify import classify, eval_sentiment, eval_spam
from bot.cli.doctor import doctor
from bot.cli.feedback import eval_feedback
from bot.cli.knowledge import eval_retrieval, index
from bot.cli.labels import eval_labels
from bot.cli.migrate import migrate
from bot.cli.run import run
from bot.cli.summarize import eval_summarize, summarize
from bot.cli.transcribe import transcribe

app = typer.Typer(
    name="confab",
    help="Confab: a team assistant for Discord, Slack and the terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure quality and speed on real data sets.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")

app.command("summarize")(summarize)
app.command("index")(index)
app.command("classify")(classify)
app.command("chat")(chat)
app.command("run")(run)
app.command("doctor")(doctor)
app.command("migrate")(migrate)
app.command("transcribe")(transcribe)

eval_app.command("summarize")(eval_summarize)
eval_app.command("retrieval")(eval_retrieval)
eval_app.command("spam")(eval_spam)
eval_app.command("sentiment")(eval_sentiment)
eval_app.command("labels")(eval_labels)
eval_app.command("feedback")(eval_feedback)


def main() -> None:
    app()
