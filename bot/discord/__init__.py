"""Discord adapter (discord.py): gateway events, application commands and outgoing calls.

``convert`` and ``format`` are pure; ``sending`` is what every send carries (no pings, files); ``layouts``
turns a reply's layout into a components-v2 view and ``polls`` opens a reply's poll (or number reactions);
``rest`` points one client at ``DISCORD_API_BASE_URL``; ``command_set`` declares the application
commands; ``listeners`` (gateway events) and ``interactions`` (commands, answered by follow-ups) use
the adapter only through the ``ports.DiscordEdge`` Protocol; ``adapter`` owns the connection and the
channel sends.
"""
