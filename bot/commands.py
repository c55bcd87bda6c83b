"""The command menu: set on start-up with setMyCommands and listed by /help."""

from __future__ import annotations

from bot.text import esc

COMMANDS: tuple[tuple[str, str, str], ...] = (
    # (command, menu description, usage shown by /help)
    ("status", "Archive, queues, live state", "/status"),
    (
        "search",
        "Search the archive",
        '/search &lt;query&gt; — words, "phrase", OR, -word, '
        "prefix*, from:@user, in:chat, after:/before:/on:, has:, is:, sort:relevance",
    ),
    ("who", "Find people and their history", "/who &lt;name|@username|id&gt;"),
    ("chats", "Watched chats", "/chats"),
    ("watch", "Archive a chat", "/watch &lt;@user|t.me link|id&gt; [account]"),
    ("unwatch", "Stop archiving a chat", "/unwatch &lt;chat&gt;"),
    ("backfill", "Fetch a chat's history", "/backfill &lt;chat&gt; [limit|since YYYY-MM-DD]"),
    ("rules", "Detection rules", "/rules"),
    ("rule_add", "Add a detection rule", "/rule_add"),
    ("rule_test", "Backtest a rule or pattern", "/rule_test &lt;rule|pattern&gt;"),
    ("rule_del", "Delete a rule", "/rule_del &lt;rule&gt;"),
    ("enrich", "Refresh profiles", "/enrich &lt;user|chat|all&gt;"),
    ("retry_media", "Retry failed media", "/retry_media [chat]"),
    ("jobs", "Scheduled jobs", "/jobs"),
    ("export", "Export a chat", "/export &lt;chat&gt; [json|csv|html] [from..to]"),
    ("import", "Import a Desktop export", "/import (then send result.json or a zip)"),
    ("cancel", "Cancel the current step", "/cancel"),
    ("help", "All commands", "/help"),
)


def help_text() -> str:
    lines = ["<b>TelegramVault</b> — commands:", ""]
    lines += [f"{usage} — {esc(description)}" for _, description, usage in COMMANDS]
    return "\n".join(lines)
