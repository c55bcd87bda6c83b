"""Pure functions: service results in, ``bot.ui.Reply`` out (unit-tested without a bot)."""
