"""Discord adapter (discord.py): gateway events, application commands and outgoing calls."""
