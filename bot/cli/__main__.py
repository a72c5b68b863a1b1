"""``python -m bot.cli …``: the same as the ``confab`` console script."""

from bot.cli.main import main

main()
