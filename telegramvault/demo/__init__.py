"""The offline demo (``telegramvault demo``): the real bot, archiver, services and SQLite vault
running against the local Telegram simulators, with the admin's conversation as a transcript."""
