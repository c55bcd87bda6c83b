"""The task queue: work the bot asks for, done by the process that holds the Telegram session."""
