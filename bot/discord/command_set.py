"""The application commands Confab registers on Discord, each a thin shell over a pipeline command.

Descriptions fit Discord's 100-character limit. Output that only the invoker should see (summaries
unless made public, settings, /forget, /help, moderation) is deferred ephemeral. ``/confab``,
``/reindex`` and ``/spam`` are hidden from members without the permission (``default_permissions``,
which server admins can override per role) and checked again by the pipeline.
"""

from __future__ import annotations

from typing import Any, Protocol

import discord
from discord import app_commands

from agent.guidance import MAX_INSTRUCTIONS_CHARS  # the longest setting value: a channel's instructions

Text = app_commands.Range[str, 1, 4000]


class RunCommand(Protocol):
    """Defers the interaction, then answers ``/name args`` (or a context menu on ``target``)."""

    async def __call__(self, interaction: discord.Interaction, name: str, args: str = "", *, ephemeral: bool,
                       target: discord.Message | None = None) -> None: ...


def register(tree: app_commands.CommandTree[Any], run: RunCommand) -> None:
    """Every Confab command on ``tree``, each answered by ``run``."""

    @tree.command(name="ask", description="Ask Confab; answers from the team's documents and this channel.")
    @app_commands.describe(question="What you want to know")
    async def ask(interaction: discord.Interaction, question: Text) -> None:
        await run(interaction, "ask", question, ephemeral=False)

    @tree.command(name="summarize", description="Summarize this thread or channel (only you see it unless public).")
    @app_commands.describe(scope="last 50 | since 2h | since yesterday | today (default: recent messages)",
                           public="Post the summary for everyone")
    async def summarize(interaction: discord.Interaction, scope: app_commands.Range[str, 0, 100] = "",
                        public: bool = False) -> None:
        await run(interaction, "summarize", f"{scope} public" if public else scope, ephemeral=not public)

    @tree.command(name="imagine", description="Generate an image from a description and post it here.")
    @app_commands.describe(prompt="What the image should show")
    async def imagine(interaction: discord.Interaction, prompt: Text) -> None:
        await run(interaction, "imagine", prompt, ephemeral=False)

    @tree.command(name="brainstorm", description="Brainstorm in a thread Confab follows; `wrap` or `stop` ends it.")
    @app_commands.describe(topic="The topic; or wrap / stop inside a brainstorm thread")
    async def brainstorm(interaction: discord.Interaction, topic: app_commands.Range[str, 1, 300]) -> None:
        await run(interaction, "brainstorm", topic, ephemeral=False)

    @tree.command(name="forget", description="Erase what Confab remembers about this channel.")
    @app_commands.describe(confirm="Confirm the erase (first run it without to see what it does)")
    async def forget(interaction: discord.Interaction, confirm: bool = False) -> None:
        await run(interaction, "forget", "confirm" if confirm else "", ephemeral=True)

    @tree.command(name="recall", description="Search past conversations in the channels you can read.")
    @app_commands.describe(query="What to look for, e.g. what did we decide about the export cap",
                           person="Only this person's messages (without a query: their most recent ones)")
    async def recall(interaction: discord.Interaction, query: app_commands.Range[str, 0, 4000] = "",
                     person: discord.User | None = None) -> None:
        await run(interaction, "recall", f"from:<@{person.id}> {query}" if person is not None else query,
                  ephemeral=True)

    @tree.command(name="digest", description="This channel's scheduled digest: decisions, action items, questions.")
    @app_commands.describe(schedule="daily 09:00 Europe/Berlin | weekly mon 09:00 Europe/Berlin | now | off "
                                    "(empty: show it)")
    async def digest(interaction: discord.Interaction, schedule: app_commands.Range[str, 0, 100] = "") -> None:
        await run(interaction, "digest", schedule, ephemeral=True)

    @tree.command(name="help", description="What Confab can do and the commands it knows.")
    async def help_(interaction: discord.Interaction) -> None:
        await run(interaction, "help", ephemeral=True)

    @tree.command(name="spam", description="Correct spam flags, set this channel's spam policy, see stats.")
    @app_commands.describe(action="not-spam <message link> | spam <message link> | policy off|flag|delete|"
                                  "delete_timeout | stats")
    @app_commands.default_permissions(manage_guild=True)  # who Confab treats as an admin
    @app_commands.guild_only()
    async def spam(interaction: discord.Interaction, action: app_commands.Range[str, 1, 200]) -> None:
        await run(interaction, "spam", action, ephemeral=True)

    @tree.command(name="reindex", description="Re-read the knowledge folder now.")
    @app_commands.default_permissions(manage_guild=True)
    async def reindex(interaction: discord.Interaction) -> None:
        await run(interaction, "reindex", ephemeral=True)

    confab = app_commands.Group(name="confab", description="Confab's settings for this channel, and feedback.",
                                default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    @confab.command(name="settings", description="Show this channel's settings, or change one.")
    @app_commands.describe(name="The setting to change (leave empty to list them)", value="Its new value")
    async def settings(interaction: discord.Interaction, name: app_commands.Range[str, 0, 60] = "",
                       value: app_commands.Range[str, 0, MAX_INSTRUCTIONS_CHARS] = "") -> None:
        await run(interaction, "confab", f"settings {name} {value}", ephemeral=True)

    @confab.command(name="feedback", description="👍/👎 counts on Confab's answers and the latest ones voted down.")
    @app_commands.describe(everywhere="Every channel instead of this one")
    async def feedback(interaction: discord.Interaction, everywhere: bool = False) -> None:
        await run(interaction, "confab", "feedback all" if everywhere else "feedback", ephemeral=True)

    @confab.command(name="confirm", description="Run, once, a tool call that waits for an admin here.")
    @app_commands.describe(code="The code from Confab's request")
    async def confirm(interaction: discord.Interaction, code: app_commands.Range[str, 1, 12]) -> None:
        await run(interaction, "confab", f"confirm {code}", ephemeral=False)

    @confab.command(name="cancel", description="Drop a tool call that waits for an admin here.")
    @app_commands.describe(code="The code from Confab's request")
    async def cancel(interaction: discord.Interaction, code: app_commands.Range[str, 1, 12]) -> None:
        await run(interaction, "confab", f"cancel {code}", ephemeral=False)

    tree.add_command(confab)

    @tree.context_menu(name="Summarize thread")
    async def summarize_thread(interaction: discord.Interaction, message: discord.Message) -> None:
        await run(interaction, "summarize_thread", ephemeral=True, target=message)

    @tree.context_menu(name="Summarize from here")
    async def summarize_from(interaction: discord.Interaction, message: discord.Message) -> None:
        await run(interaction, "summarize_from", ephemeral=True, target=message)
