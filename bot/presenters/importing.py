"""/import: the prompt, the refusals, the progress line and the summary of a Desktop export."""

from __future__ import annotations

from collections import Counter

from bot.presenters.common import cancel_button
from bot.text import clip, duration, esc, number, size
from bot.ui import Reply, rows
from services.importer import ImportProgress, ImportSummary

NAME_CHARS = 80
REASON_CHARS = 120
LISTED_REASONS = 8
DOWNLOAD_LIMIT_MB = 20
SHORT_SECONDS = 60  # shorter runs show tenths of a second


def import_prompt() -> Reply:
    return Reply(
        "<b>Import a Telegram Desktop export</b>\n"
        "Send the export as a file: its <code>result.json</code>, or a .zip of the whole "
        "export folder (photos and files inside the zip are copied into the vault).\n"
        "In Telegram Desktop: Settings → Advanced → Export Telegram data, or a chat's ⋮ → "
        "Export chat history, choosing <i>Machine-readable JSON</i>.\n"
        "Importing the same export again only adds what is missing.",
        rows([cancel_button()]),
    )


def waiting_reminder() -> Reply:
    return Reply(
        "I am waiting for the export file: send <code>result.json</code> or a .zip of the "
        "export folder as a document, or press Cancel.",
        rows([cancel_button()]),
    )


def not_an_export_reply(name: str) -> Reply:
    return Reply(
        f"⚠️ {_name(name)} does not look like a Telegram Desktop export: send "
        "<code>result.json</code> or a .zip of the export folder (an HTML export cannot be "
        "imported: export again choosing <i>Machine-readable JSON</i>)."
    )


def too_large_reply(name: str, num_bytes: int | None) -> Reply:
    """Bots may download at most 20 MB from Telegram's own Bot API server."""
    shown = f" ({size(num_bytes)})" if num_bytes else ""
    return Reply(
        f"⚠️ {_name(name)}{shown} is too large for me to download: Telegram's Bot API lets "
        f"bots fetch files of at most {DOWNLOAD_LIMIT_MB} MB.\n"
        "To import it, either:\n"
        "• copy it to the vault's server and run <code>telegramvault import PATH</code> "
        "(PATH: the zip, the export folder or its result.json), or\n"
        "• run a local Bot API server (it lets bots download up to 2 GB), set "
        "<code>BOT_API_SERVER</code> to it and send the file again."
    )


def unsent_hint() -> Reply:
    """A file arrived outside the dialog: say how to import it."""
    return Reply("To import this file, send it with the caption /import, or send /import first.")


def downloading_reply(name: str, num_bytes: int | None) -> Reply:
    shown = f" ({size(num_bytes)})" if num_bytes else ""
    return Reply(f"⏳ Importing {_name(name)}{shown}\nDownloading the file…")


def importing_reply(name: str, progress: ImportProgress) -> Reply:
    """``Checking the file… 45% · 1 234 messages`` then ``Storing… 60% · 300 of 500``."""
    if progress.phase == "validating":
        step = "Checking the file (nothing is written yet)"
        counted = f"{number(progress.messages)} messages"
    else:
        step = "Storing messages"
        total = progress.messages_total
        of_total = f" of {number(total)}" if total else ""
        counted = f"{number(progress.messages)}{of_total} messages"
    percent = _percent(progress)
    shown = f"{percent:.0f}% · " if percent is not None else ""
    return Reply(f"⏳ Importing {_name(name)}\n{step}… {shown}{counted}")


def import_summary_reply(name: str, summary: ImportSummary) -> Reply:
    """Chats, messages by kind, what was stored, media, skipped (with reasons), time taken."""
    lines = [_headline(name, summary), *_counts(summary)]
    lines += _reasons("Media without a file", summary.media_missing)
    lines += _reasons("Skipped", summary.skipped)
    lines += _reasons("Repaired Desktop JSON bugs", summary.repairs)
    if summary.unknown_keys:
        lines.append(f"Unknown keys ignored: {number(sum(summary.unknown_keys.values()))}")
    if summary.local_time_dates:
        lines.append(
            f"{number(summary.local_time_dates)} dates had no time zone and were read as "
            f"{esc(summary.time_zone)} time."
        )
    lines.append(f"<i>Took {_took(summary.duration)}</i>")
    return Reply("\n".join(lines))


def _headline(name: str, summary: ImportSummary) -> str:
    if summary.total_messages and not (summary.inserted or summary.updated):
        return (
            f"☑️ Nothing new in {_name(name)}: all {number(summary.total_messages)} messages "
            "were already in the vault."
        )
    return f"✅ Imported {_name(name)}"


def _counts(summary: ImportSummary) -> list[str]:
    kinds = ", ".join(f"{esc(kind)} {number(n)}" for kind, n in sorted(summary.messages.items()))
    return [
        f"Chats: {number(summary.chats)}",
        f"Messages: {number(summary.total_messages)}" + (f" ({kinds})" if kinds else ""),
        f"Stored: {number(summary.inserted)} new, {number(summary.updated)} updated, "
        f"{number(summary.unchanged)} unchanged",
        f"Media: {number(summary.media_copied)} copied, "
        f"{number(summary.media_deduplicated)} deduplicated, "
        f"{number(summary.media_already_stored)} already stored, "
        f"{number(summary.media_skipped_by_policy)} skipped by the media settings",
    ]


def _reasons(title: str, counts: Counter[str]) -> list[str]:
    if not counts:
        return []
    listed = counts.most_common(LISTED_REASONS)
    lines = [f"{title}: {number(sum(counts.values()))}"]
    lines += [f"• {number(n)} × {esc(clip(reason, REASON_CHARS))}" for reason, n in listed]
    if len(counts) > LISTED_REASONS:
        lines.append(f"• … and {number(len(counts) - LISTED_REASONS)} more reasons")
    return lines


def _percent(progress: ImportProgress) -> float | None:
    if progress.phase != "validating" and progress.messages_total:
        return min(100.0, 100.0 * progress.messages / progress.messages_total)
    return progress.percent


def _took(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < SHORT_SECONDS else duration(seconds)


def _name(name: str) -> str:
    return f"<b>{esc(clip(name, NAME_CHARS))}</b>"
