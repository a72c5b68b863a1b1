"""Discord adapter (discord.py): gateway events, application commands and outgoing calls.

``convert`` and ``format`` are pure; ``sending`` is what every send carries (no pings, files);
``rest`` points one client at ``DISCORD_API_BASE_URL``; ``command_set`` declares the application
commands; ``listeners`` (gateway events) and ``interactions`` (commands, answered by follow-ups) use
the adapter only through the ``ports.DiscordEdge`` Protocol; ``adapter`` owns the connection and the
channel sends.
"""
