"""Detection rules on a phone screen: the paged list with on/off buttons, the built-in detectors,
each step of the add-rule dialog, backtest results and the delete confirmation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.presenters.common import cancel_button, message_link
from bot.rule_forms import (
    ALL_CHATS,
    BUILTINS,
    CONFIRM,
    DETECTOR,
    KIND,
    RULES,
    SAVE,
    SCOPE,
    SEVERITY,
    BuiltinEnable,
    DeleteConfirm,
    FormPick,
    RulesPage,
    RuleToggle,
)
from bot.text import clip, duration, esc, number, when
from bot.ui import Button, Reply, rows
from core.domain.detection import DetectionRule, RuleKind, Severity
from services.detection.backtest import BacktestReport
from services.detection.rule_input import HitView, ScopeChat
from services.detection.service import RuleDraft

SEVERITY_ICON = {
    Severity.LOW: "🟡",
    Severity.MEDIUM: "🟠",
    Severity.HIGH: "🔴",
    Severity.CRITICAL: "🛑",
}
KIND_LABEL = {RuleKind.KEYWORDS: "Keywords", RuleKind.REGEX: "Regex", RuleKind.BUILTIN: "Built-in"}
STEPS = 5
NAME_CHARS, BUTTON_NAME_CHARS, PAGE_PATTERN_CHARS, PATTERN_CHARS = 64, 28, 60, 300
LISTED_IDS, MATCH_CHARS, TITLE_CHARS = 3, 200, 40
ONE_LINE_USAGE = (
    "Or in one line:\n"
    "<code>/rule_add &lt;name&gt; regex &lt;pattern&gt;</code>\n"
    "<code>/rule_add &lt;name&gt; keywords a, b, c</code>\n"
    "<code>/rule_add builtin &lt;detector&gt;</code>"
)


def one_line(value: str, limit: int) -> str:
    """``value`` clipped and escaped on one line (a tag must close on the line it opens)."""
    return esc(clip(" ⏎ ".join(value.splitlines()), limit))


def severity_text(severity: Severity) -> str:
    return f"{SEVERITY_ICON[severity]} {severity.value}"


# --- the list ----------------------------------------------------------------------------------


def rules_page(
    rules: Sequence[DetectionRule],
    total: int,
    offset: int,
    page_size: int,
    tz: ZoneInfo,
    now: datetime,
) -> Reply:
    """One page of rules; each rule's button turns it off (✅ now on) or on (⏸ now off)."""
    if not total:
        text = (
            "<b>🛡 Detection rules</b>\n\nNo rules yet. Add one with /rule_add, "
            "or turn on a built-in detector."
        )
        return Reply(text, rows([_builtins_button()]))
    page, pages = offset // page_size + 1, (total + page_size - 1) // page_size
    lines = [f"<b>🛡 Detection rules</b> · {number(total)} · page {page}/{pages}"]
    for rule in rules:
        lines += ["", *_rule_lines(rule, tz, now)]
    lines += ["", "<i>Tap a rule to turn it on or off.</i>"]
    toggles = [[_toggle_button(rule, offset)] for rule in rules]
    nav = []
    if offset > 0:
        nav.append(Button("◀ Prev", callback=_page(max(0, offset - page_size))))
    if offset + page_size < total:
        nav.append(Button("Next ▶", callback=_page(offset + page_size)))
    return Reply("\n".join(lines), rows(*toggles, nav, [_builtins_button()]))


def _rule_lines(rule: DetectionRule, tz: ZoneInfo, now: datetime) -> list[str]:
    state = "✅ on" if rule.enabled else "⏸ off"
    details = [_scope(rule), f"cooldown {duration(rule.cooldown_seconds)}"]
    if not rule.cooldown_seconds:
        details[1] = "no cooldown"
    if rule.muted_until is not None and rule.muted_until > now:
        details.append(f"muted until {when(rule.muted_until, tz)}")
    return [
        f"{state} · <b>#{rule.id} {one_line(rule.name, NAME_CHARS)}</b> · "
        f"{rule.kind.value} · {severity_text(rule.severity)}",
        f"<code>{one_line(rule.pattern, PAGE_PATTERN_CHARS)}</code>",
        " · ".join(details),
    ]


def _scope(rule: DetectionRule) -> str:
    parts = [_ids("chats", rule.chat_ids) if rule.chat_ids else "all chats"]
    if rule.sender_ids:
        parts.append(_ids("senders", rule.sender_ids))
    return " · ".join(parts)


def _ids(what: str, ids: frozenset[int]) -> str:
    listed = ", ".join(str(i) for i in sorted(ids)[:LISTED_IDS])
    more = f" +{len(ids) - LISTED_IDS} more" if len(ids) > LISTED_IDS else ""
    return f"{what} {listed}{more}"


def _toggle_button(rule: DetectionRule, offset: int) -> Button:
    icon = "✅" if rule.enabled else "⏸"
    data = RuleToggle(rule_id=rule.id, enable=not rule.enabled, offset=offset).pack()
    return Button(f"{icon} #{rule.id} {clip(rule.name, BUTTON_NAME_CHARS)}", callback=data)


def _page(offset: int) -> str:
    return RulesPage(view=RULES, offset=offset).pack()


def _builtins_button() -> Button:
    return Button("🧩 Built-in detectors", callback=RulesPage(view=BUILTINS).pack())


def builtins_page(
    detectors: Mapping[str, str], running: Mapping[str, Sequence[DetectionRule]]
) -> Reply:
    """Every built-in detector (name → description) and whether a rule runs it."""
    lines = ["<b>🧩 Built-in detectors</b>", ""]
    buttons: list[Button] = []
    for name, description in detectors.items():
        rules = running.get(name, ())
        on = any(rule.enabled for rule in rules)
        state = "✅ on" if on else ("⏸ off" if rules else "➖ not used")
        lines.append(f"{state} · <b>{esc(name)}</b> — {esc(description)}")
        if not on:
            buttons.append(Button(f"➕ Enable {name}", callback=BuiltinEnable(name=name).pack()))
    lines += ["", "<i>Enabling one adds a rule for it (all chats, medium severity).</i>"]
    pairs = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    back = Button("◀ Rules", callback=_page(0))
    return Reply("\n".join(lines), rows(*pairs, [back]))


# --- the add-rule dialog -----------------------------------------------------------------------


def _step(number_: int, title: str, body: str, *buttons: list[Button]) -> Reply:
    text = f"<b>➕ New rule</b> · step {number_} of {STEPS}: {title}\n\n{body}"
    return Reply(text, rows(*buttons, [cancel_button()]))


def name_prompt() -> Reply:
    body = (
        "Send the rule's name (1 to 64 characters), e.g. <code>leaked cards</code>.\n\n"
        f"{ONE_LINE_USAGE}"
    )
    return _step(1, "name", body)


def kind_prompt(name: str) -> Reply:
    body = (
        f"Rule <b>{one_line(name, NAME_CHARS)}</b>: what should it look for?\n"
        "• Keywords — words or phrases, any spelling of accents and case\n"
        "• Regex — a regular expression (RE2 syntax)\n"
        "• Built-in — a ready detector: cards, IBANs, wallets, phones, links…"
    )
    picks = [Button(label, callback=_pick(KIND, kind.value)) for kind, label in KIND_LABEL.items()]
    return _step(2, "kind", body, picks)


def pattern_prompt(kind: RuleKind, detectors: Mapping[str, str]) -> Reply:
    if kind is RuleKind.BUILTIN:
        lines = [f"• <b>{esc(name)}</b> — {esc(text)}" for name, text in detectors.items()]
        body = "Pick a detector:\n" + "\n".join(lines)
        picks = [Button(name, callback=_pick(DETECTOR, name)) for name in detectors]
        return _step(3, "detector", body, *[picks[i : i + 3] for i in range(0, len(picks), 3)])
    if kind is RuleKind.KEYWORDS:
        body = "Send the keywords, separated by commas or new lines, e.g. <code>iban, swift</code>."
    else:
        body = "Send the regular expression (RE2 syntax), e.g. <code>\\bORD-\\d{6}\\b</code>."
    return _step(3, "pattern", body)


def scope_prompt() -> Reply:
    body = (
        "Which chats should it watch? Press <b>All chats</b>, or send chats from the vault as "
        "@username or id, separated by commas or spaces."
    )
    return _step(4, "scope", body, [Button("🌐 All chats", callback=_pick(SCOPE, ALL_CHATS))])


def severity_prompt() -> Reply:
    picks = [Button(severity_text(s), callback=_pick(SEVERITY, s.value)) for s in Severity]
    return _step(5, "severity", "How serious is a match?", picks[:2], picks[2:])


def confirm_prompt(draft: RuleDraft, chats: Sequence[ScopeChat], report: BacktestReport) -> Reply:
    lines = [
        "<b>➕ New rule</b> · check and save",
        "",
        f"Name: <b>{one_line(draft.name, NAME_CHARS)}</b>",
        f"Kind: {KIND_LABEL[draft.kind]}",
        f"Pattern: <code>{one_line(draft.pattern, PATTERN_CHARS)}</code>",
        f"Scope: {_scope_labels(chats)}",
        f"Severity: {severity_text(draft.severity)}",
        "",
        f"Backtest: <b>{number(report.hits)}</b> matching message(s) in "
        f"{number(report.scanned)} checked ({report.seconds:.2f} s)",
    ]
    save = Button("💾 Save", callback=_pick(CONFIRM, SAVE))
    return Reply("\n".join(lines), rows([save, cancel_button()]))


def _scope_labels(chats: Sequence[ScopeChat]) -> str:
    if not chats:
        return "all chats"
    return ", ".join(one_line(chat.label, TITLE_CHARS) for chat in chats)


def step_error(reason: str, prompt: Reply) -> Reply:
    """A refused answer: the exact reason, then the same step again."""
    reason = reason[:1].upper() + reason[1:]
    return Reply(f"⚠️ {esc(reason)}\n\n{prompt.text}", prompt.buttons)


def rule_saved(rule: DetectionRule) -> Reply:
    scope = "all chats" if not rule.chat_ids else _ids("chats", rule.chat_ids)
    return Reply(
        f"✅ Saved rule <b>#{rule.id} {one_line(rule.name, NAME_CHARS)}</b> "
        f"({rule.kind.value}, {severity_text(rule.severity)}, {scope}). "
        "It checks every new message from now on; /rules lists it."
    )


def _pick(step: str, value: str) -> str:
    return FormPick(step=step, value=value).pack()


# --- backtests ---------------------------------------------------------------------------------


def rule_subject(rule: DetectionRule) -> str:
    return f"rule <b>#{rule.id} {one_line(rule.name, NAME_CHARS)}</b>"


def pattern_subject(kind: RuleKind, pattern: str) -> str:
    return f"{kind.value} <code>{one_line(pattern, PATTERN_CHARS)}</code>"


def backtest_reply(
    subject: str, report: BacktestReport, hits: Sequence[HitView], tz: ZoneInfo
) -> Reply:
    """A backtest's outcome; ``subject`` is :func:`rule_subject` or :func:`pattern_subject`."""
    how = "index prefilter" if report.prefiltered else "full scan"
    lines = [
        f"<b>🧪 Backtest</b> of {subject}",
        f"<b>{number(report.hits)}</b> hit(s) in {number(report.scanned)} message(s) checked · "
        f"{report.seconds:.2f} s · {how}",
        "<i>Nothing was stored and no alert was sent.</i>",
    ]
    if hits:
        lines += ["", f"<b>First {len(hits)}</b>"]
    for index, hit in enumerate(hits, 1):
        lines += [_hit_header(index, hit, tz), _hit_text(hit)]
    more = report.hits - len(hits)
    if hits and more > 0:
        lines.append(f"… and {number(more)} more")
    return Reply("\n".join(lines))


def _hit_header(index: int, hit: HitView, tz: ZoneInfo) -> str:
    name = hit.chat_title or (f"@{hit.chat_username}" if hit.chat_username else str(hit.chat_id))
    chat = one_line(name, TITLE_CHARS)
    link = message_link(hit.chat_id, hit.message_id, hit.chat_username)
    where = f'<a href="{esc(link)}">{chat}</a>' if link else f"<b>{chat}</b>"
    return f"{index}. {where} · {when(hit.date, tz)} · msg {hit.message_id}"


def _hit_text(hit: HitView) -> str:
    matched = one_line(hit.matched_text, MATCH_CHARS)
    before, after = one_line(hit.before, MATCH_CHARS), one_line(hit.after, MATCH_CHARS)
    return f"   {before}<u><b>{matched}</b></u>{after}"


# --- deletion ----------------------------------------------------------------------------------


def delete_prompt(rule: DetectionRule, detections: int) -> Reply:
    text = (
        f"Delete {rule_subject(rule)}? It has {number(detections)} past detection(s); "
        "they are deleted with it."
    )
    delete = Button("🗑 Delete", callback=DeleteConfirm(rule_id=rule.id).pack())
    return Reply(text, rows([delete, cancel_button()]))


def rule_deleted(rule: DetectionRule, detections: int) -> Reply:
    return Reply(f"🗑 Deleted {rule_subject(rule)} and its {number(detections)} past detection(s).")


def rule_gone() -> Reply:
    return Reply("That rule no longer exists. /rules lists the rules there are.")
