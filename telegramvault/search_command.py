"""``telegramvault search``: the bot's /search from a terminal, readable or as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from core.config_manager import ConfigManager
from core.domain.search import PersonHit, SearchHit, SearchPage
from telegramvault.vault import open_vault, require_vault_config


def add_search_parser(sub: Any) -> None:
    parser = sub.add_parser("search", help="search the archive (same query language as /search)")
    parser.add_argument(
        "query", nargs="+", help='e.g. teléfono from:@ana after:2024-01 "exact phrase"'
    )
    parser.add_argument("--people", action="store_true", help="search people instead of messages")
    parser.add_argument("--limit", type=int, default=None, help="results per page (1-50)")
    parser.add_argument("--cursor", default=None, help="the cursor printed for the next page")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--env-file", default=".env")
    parser.set_defaults(handler=run_search)


def run_search(args: argparse.Namespace, config: ConfigManager) -> int:
    require_vault_config(config)
    query = " ".join(args.query)
    if args.people:
        people = asyncio.run(_people(config, query, args.limit or 20))
        print(
            json.dumps([asdict(p) for p in people], ensure_ascii=False, indent=2)
            if args.json
            else render_people(people)
        )
        return 0
    page = asyncio.run(_messages(config, query, args.cursor, args.limit))
    print(
        json.dumps(page_as_json(page), ensure_ascii=False, indent=2, default=str)
        if args.json
        else render_page(page, color=sys.stdout.isatty())
    )
    return 0


async def _messages(
    config: ConfigManager, query: str, cursor: str | None, limit: int | None
) -> SearchPage:
    async with open_vault(config) as vault:
        return await vault.search().search_messages(query, cursor=cursor, limit=limit)


async def _people(config: ConfigManager, query: str, limit: int) -> list[PersonHit]:
    async with open_vault(config) as vault:
        return await vault.search().search_people(query, limit)


def highlight(hit: SearchHit, color: bool) -> str:
    start, end = ("\033[1m", "\033[0m") if color else ("«", "»")
    text, pieces, last = hit.snippet.text, [], 0
    for span in hit.snippet.spans:
        pieces += [text[last : span.start], start, text[span.start : span.end], end]
        last = span.end
    return "".join([*pieces, text[last:]])


def render_page(page: SearchPage, *, color: bool = False) -> str:
    estimate = "about " if page.total_is_estimate else ""
    lines = [
        f"{estimate}{page.total} result(s), sorted by {page.sort}"
        + (" (pattern scan fallback)" if page.used_fallback else "")
    ]
    lines += [f"note: {note}" for note in page.notes]
    for hit in page.hits:
        who = hit.sender_name or (f"@{hit.sender_username}" if hit.sender_username else "—")
        flags = "".join([" [edited]" if hit.edited else "", " [deleted]" if hit.deleted else ""])
        lines.append(
            f"\n{hit.date:%Y-%m-%d %H:%M} · {hit.chat_title or hit.chat_id} · {who}{flags}"
        )
        lines.append(f"  {highlight(hit, color)}")
        if hit.link:
            lines.append(f"  {hit.link}")
    if page.next_cursor:
        lines.append(f"\nnext page: --cursor {page.next_cursor}")
    return "\n".join(lines)


def render_people(people: list[PersonHit]) -> str:
    if not people:
        return "nobody found"
    lines = []
    for person in people:
        handle = f" @{person.username}" if person.username else ""
        earlier = f" (was: {person.earlier_value})" if person.earlier_value else ""
        lines.append(f"{person.user_id}  {person.display_name}{handle}{earlier}")
    return "\n".join(lines)


def page_as_json(page: SearchPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "total_is_estimate": page.total_is_estimate,
        "sort": page.sort,
        "used_fallback": page.used_fallback,
        "notes": list(page.notes),
        "next_cursor": page.next_cursor,
        "hits": [asdict(hit) for hit in page.hits],
    }
