"""``telegramvault rules …``: the bot's rule management and backtests, from a terminal."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from core.config_manager import ConfigManager
from core.domain.detection import DetectionRule, RuleKind, Severity
from services.detection.builtins import BUILTIN_NAMES
from services.detection.service import DetectionService, RuleDraft
from telegramvault.vault import open_vault, require_vault_config

SEVERITIES = [s.value for s in Severity]


def _pattern_options(parser: argparse.ArgumentParser) -> None:
    kind = parser.add_mutually_exclusive_group(required=True)
    kind.add_argument("--keywords", help="comma-separated keywords or phrases")
    kind.add_argument("--regex", help="a regular expression (RE2 syntax)")
    kind.add_argument("--builtin", choices=BUILTIN_NAMES, help="a built-in detector")
    parser.add_argument("--case-sensitive", action="store_true")
    parser.add_argument("--chat", type=int, action="append", default=[], help="limit to a chat id")
    parser.add_argument("--sender", type=int, action="append", default=[], help="limit to a sender")


def add_rules_parser(sub: Any) -> None:
    rules = sub.add_parser("rules", help="manage detection rules and backtest them")
    actions = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    actions.add_parser("list", help="every rule with its state")
    actions.add_parser("builtins", help="the built-in detectors")
    add = actions.add_parser("add", help="add a rule")
    add.add_argument("name")
    _pattern_options(add)
    add.add_argument("--severity", choices=SEVERITIES, default="medium")
    add.add_argument("--cooldown", type=int, default=0, help="seconds between alerts")
    for name, text in (
        ("enable", "turn a rule on"),
        ("disable", "turn a rule off"),
        ("delete", "delete a rule"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("rule", help="rule id or name")
    test = actions.add_parser("test", help="backtest a rule or a pattern over the archive")
    test.add_argument("rule", nargs="?", help="an existing rule (id or name)")
    test.add_argument("--keywords")
    test.add_argument("--regex")
    test.add_argument("--builtin", choices=BUILTIN_NAMES)
    test.add_argument("--case-sensitive", action="store_true")
    test.add_argument("--first", type=int, default=10, help="how many first hits to show")
    for action in actions.choices.values():
        action.add_argument("--env-file", default=".env")
        action.set_defaults(handler=run_rules)


def _draft(args: argparse.Namespace, name: str = "backtest") -> RuleDraft | None:
    for kind, pattern in (
        (RuleKind.KEYWORDS, args.keywords),
        (RuleKind.REGEX, args.regex),
        (RuleKind.BUILTIN, getattr(args, "builtin", None)),
    ):
        if pattern:
            return RuleDraft(
                name,
                kind,
                pattern,
                Severity(getattr(args, "severity", "medium")),
                args.case_sensitive,
                frozenset(getattr(args, "chat", [])),
                frozenset(getattr(args, "sender", [])),
                getattr(args, "cooldown", 0),
            )
    return None


def describe(rule: DetectionRule) -> str:
    state = "on " if rule.enabled else "off"
    scope = f" chats={sorted(rule.chat_ids)}" if rule.chat_ids else ""
    what = f"{rule.kind.value} {rule.pattern!r}{scope}"
    return f"#{rule.id:<4} {state} {rule.severity.value:<8} {rule.name}: {what}"


async def _list(service: DetectionService, _args: argparse.Namespace) -> str:
    rules, total = await service.list_rules(0, 100)
    return "\n".join([f"{total} rule(s)", *(describe(r) for r in rules)])


async def _add(service: DetectionService, args: argparse.Namespace) -> str:
    draft = _draft(args, args.name)
    assert draft is not None  # argparse requires one pattern option
    return "added " + describe(await service.add_rule(draft))


async def _toggle(service: DetectionService, args: argparse.Namespace) -> str:
    rule = await service.set_enabled(args.rule, args.rules_command == "enable")
    return describe(rule)


async def _delete(service: DetectionService, args: argparse.Namespace) -> str:
    return "deleted " + describe(await service.delete_rule(args.rule))


async def _test(service: DetectionService, args: argparse.Namespace) -> str:
    draft = _draft(args)
    if draft is None and not args.rule:
        raise SystemExit("name a rule, or give --keywords, --regex or --builtin")
    report = (
        await service.backtest(draft, first=args.first)
        if draft
        else await service.backtest_rule(args.rule, first=args.first)
    )
    how = "index prefilter, then the exact matcher" if report.prefiltered else "full scan"
    lines = [
        f"{report.hits} hit(s) in {report.scanned} message(s) checked "
        f"({how}), {report.seconds:.2f} s"
    ]
    lines += [
        f"  {h['date']:%Y-%m-%d} chat {h['chat_id']} msg {h['message_id']}: {h['matched_text']!r}"
        for h in report.first_hits
    ]
    return "\n".join(lines)


ACTIONS: dict[str, Callable[[DetectionService, argparse.Namespace], Awaitable[str]]] = {
    "list": _list,
    "add": _add,
    "enable": _toggle,
    "disable": _toggle,
    "delete": _delete,
    "test": _test,
}


def run_rules(args: argparse.Namespace, config: ConfigManager) -> int:
    if args.rules_command == "builtins":
        print("\n".join(BUILTIN_NAMES))
        return 0
    require_vault_config(config)

    async def _run() -> str:
        async with open_vault(config) as vault:
            return await ACTIONS[args.rules_command](vault.detection(), args)

    print(asyncio.run(_run()))
    return 0
