"""The rules screens: escaped, one tag per line, the right buttons with callback data that
unpacks to what the router expects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.presenters.common import CANCEL_CALLBACK
from bot.presenters.rules import (
    backtest_reply,
    builtins_page,
    confirm_prompt,
    delete_prompt,
    kind_prompt,
    name_prompt,
    pattern_prompt,
    pattern_subject,
    rule_deleted,
    rule_saved,
    rule_subject,
    rules_page,
    scope_prompt,
    severity_prompt,
    step_error,
)
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
    draft_of,
    scope_data,
)
from bot.ui import Reply
from core.domain.detection import DetectionRule, RuleKind, Severity
from services.detection.backtest import BacktestReport
from services.detection.rule_input import HitView, ScopeChat
from services.detection.service import RuleDraft
from tests.fakes.botapi.html import visible_text

UTC_TZ = ZoneInfo("UTC")
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DETECTORS = {"iban": "IBANs <checked>", "card": "Payment cards"}


def rule(rule_id: int = 1, name: str = "orders", **over: object) -> DetectionRule:
    fields: dict[str, object] = {"kind": RuleKind.REGEX, "pattern": r"\bORD-\d{6}\b", **over}
    return DetectionRule(rule_id, name, **fields)  # type: ignore[arg-type]


def shown(reply: Reply) -> str:
    """What a user sees; every line must be valid HTML on its own (messages split at lines)."""
    for line in reply.text.split("\n"):
        visible_text(line)
    return visible_text(reply.text)


def callbacks(reply: Reply) -> list[str]:
    return [b.callback for row in reply.buttons for b in row if b.callback is not None]


def labels(reply: Reply) -> list[str]:
    return [b.text for row in reply.buttons for b in row]


# --- the list --------------------------------------------------------------------------------


def test_an_empty_list_points_to_adding_a_rule_and_the_builtins() -> None:
    reply = rules_page([], 0, 0, 5, UTC_TZ, NOW)
    assert "No rules yet" in shown(reply) and "/rule_add" in shown(reply)
    assert callbacks(reply) == [RulesPage(view=BUILTINS).pack()]


def test_each_rule_shows_its_state_scope_cooldown_and_mute() -> None:
    rules = [
        rule(1, "a <b> & c", severity=Severity.CRITICAL, cooldown_seconds=90),
        rule(
            2,
            "scoped",
            kind=RuleKind.KEYWORDS,
            pattern="visa,\namex",
            enabled=False,
            chat_ids=frozenset({-1001, -1002, -1003, -1004}),
            sender_ids=frozenset({42}),
            muted_until=NOW + timedelta(hours=2),
        ),
        rule(3, "muted before", muted_until=NOW - timedelta(minutes=1)),
    ]
    text = shown(rules_page(rules, 3, 0, 5, MADRID, NOW))
    assert "✅ on · #1 a <b> & c · regex · 🛑 critical" in text
    assert "all chats · cooldown 1m 30s" in text
    assert "⏸ off · #2 scoped · keywords · 🟠 medium" in text
    assert "visa, ⏎ amex" in text  # a pattern's lines are joined: its tag stays on one line
    assert "chats -1004, -1003, -1002 +1 more · senders 42 · no cooldown" in text
    assert "muted until 2025-03-01 15:00" in text  # in the admin's time zone
    assert text.count("muted until") == 1  # a mute that is over is not shown


def test_toggle_buttons_ask_for_the_opposite_state_on_the_same_page() -> None:
    reply = rules_page([rule(6, "on"), rule(7, "off", enabled=False)], 7, 5, 5, UTC_TZ, NOW)
    assert labels(reply)[:2] == ["✅ #6 on", "⏸ #7 off"]
    toggles = [RuleToggle.unpack(data) for data in callbacks(reply)[:2]]
    assert [(t.rule_id, t.enable, t.offset) for t in toggles] == [(6, False, 5), (7, True, 5)]
    assert "page 2/2" in shown(reply)


@pytest.mark.parametrize(
    ("offset", "total", "prev", "next_"),
    [(0, 5, None, None), (0, 6, None, 5), (5, 12, 0, 10), (10, 12, 5, None)],
)
def test_pager_buttons(offset: int, total: int, prev: int | None, next_: int | None) -> None:
    reply = rules_page([rule()], total, offset, 5, UTC_TZ, NOW)
    pages = {
        b.text: RulesPage.unpack(b.callback)
        for row in reply.buttons
        for b in row
        if b.callback and b.callback.startswith("rl1:")
    }
    assert (pages["◀ Prev"].offset if "◀ Prev" in pages else None) == prev
    assert (pages["Next ▶"].offset if "Next ▶" in pages else None) == next_
    assert pages["🧩 Built-in detectors"].view == BUILTINS


def test_builtins_say_which_run_and_offer_to_enable_the_rest() -> None:
    running = {"iban": [rule(1, "builtin:iban", kind=RuleKind.BUILTIN, pattern="iban")]}
    reply = builtins_page(DETECTORS, running)
    text = shown(reply)
    assert "✅ on · iban — IBANs <checked>" in text and "➖ not used · card" in text
    assert labels(reply) == ["➕ Enable card", "◀ Rules"]
    assert BuiltinEnable.unpack(callbacks(reply)[0]).name == "card"
    assert RulesPage.unpack(callbacks(reply)[1]) == RulesPage(view=RULES, offset=0)
    paused = {"iban": [rule(1, "builtin:iban", kind=RuleKind.BUILTIN, enabled=False)]}
    assert "⏸ off · iban" in shown(builtins_page(DETECTORS, paused))


# --- the dialog ------------------------------------------------------------------------------


def test_every_step_can_be_cancelled_and_says_where_it_is() -> None:
    steps = [
        name_prompt(),
        kind_prompt("x"),
        pattern_prompt(RuleKind.REGEX, DETECTORS),
        scope_prompt(),
        severity_prompt(),
    ]
    for number, reply in enumerate(steps, 1):
        assert f"step {number} of 5" in shown(reply)
        assert callbacks(reply)[-1] == CANCEL_CALLBACK
    assert "/rule_add <name> keywords a, b, c" in shown(name_prompt())


def test_step_buttons_carry_their_step_and_value() -> None:
    def picks(reply: Reply) -> list[tuple[str, str]]:
        return [
            (p.step, p.value)
            for p in (FormPick.unpack(c) for c in callbacks(reply) if c != CANCEL_CALLBACK)
        ]

    assert picks(kind_prompt("x")) == [(KIND, "keywords"), (KIND, "regex"), (KIND, "builtin")]
    assert picks(pattern_prompt(RuleKind.BUILTIN, DETECTORS)) == [
        (DETECTOR, "iban"),
        (DETECTOR, "card"),
    ]
    assert picks(pattern_prompt(RuleKind.KEYWORDS, DETECTORS)) == []
    assert picks(scope_prompt()) == [(SCOPE, ALL_CHATS)]
    assert picks(severity_prompt()) == [(SEVERITY, s.value) for s in Severity]


def test_a_refused_answer_shows_the_reason_then_the_same_step() -> None:
    reply = step_error("missing ): (a<b", scope_prompt())
    assert shown(reply).startswith("⚠️ Missing ): (a<b\n\n")
    assert reply.buttons == scope_prompt().buttons


def test_the_confirmation_sums_the_draft_up_with_its_backtest() -> None:
    data = {
        "name": "orders",
        "kind": "regex",
        "pattern": "ORD-<n>",
        "severity": "high",
        "chats": scope_data([ScopeChat(-1001, "@desk"), ScopeChat(-1002, "Chit <chat>")]),
    }
    draft = draft_of(data)
    assert draft == RuleDraft(
        "orders", RuleKind.REGEX, "ORD-<n>", Severity.HIGH, chat_ids=frozenset({-1001, -1002})
    )
    report = BacktestReport(hits=1234, scanned=56789, seconds=0.25)
    chats = [ScopeChat(-1001, "@desk"), ScopeChat(-1002, "Chit <chat>")]
    reply = confirm_prompt(draft, chats, report)
    text = shown(reply)
    assert "Pattern: ORD-<n>" in text and "Scope: @desk, Chit <chat>" in text
    assert "Severity: 🔴 high" in text
    assert "Backtest: 1\u2009234 matching message(s) in 56\u2009789 checked (0.25 s)" in text
    assert FormPick.unpack(callbacks(reply)[0]) == FormPick(step=CONFIRM, value=SAVE)
    assert callbacks(reply)[1] == CANCEL_CALLBACK
    assert "Scope: all chats" in shown(confirm_prompt(draft_of({**data, "chats": []}), [], report))


def test_a_saved_rule_is_named_with_its_settings() -> None:
    text = shown(rule_saved(rule(4, "x&y", severity=Severity.LOW)))
    assert "Saved rule #4 x&y (regex, 🟡 low, all chats)" in text


# --- backtests and deletion ------------------------------------------------------------------


def test_backtest_hits_are_linked_and_the_match_highlighted() -> None:
    date = datetime(2025, 1, 1, 0, 1, tzinfo=UTC)
    hits = [
        HitView(-1001, 5, date, "ORD-1", "Desk <1>", "desk", "ship ", " now"),
        HitView(-1002000, 6, date, "ORD-2", "Private", None, "", ""),
        HitView(-4444, 7, None, "a\nb", None, None, "x\ny", ""),
    ]
    report = BacktestReport(hits=12, scanned=40, prefiltered=True, first_hits=[], seconds=0.5)
    reply = backtest_reply(rule_subject(rule(3, "o<r>")), report, hits, UTC_TZ)
    text = shown(reply)
    assert "Backtest of rule #3 o<r>" in text
    assert "12 hit(s) in 40 message(s) checked · 0.50 s · index prefilter" in text
    assert '1. <a href="https://t.me/desk/5">Desk &lt;1&gt;</a>' in reply.text
    assert '<a href="https://t.me/c/2000/6">Private</a>' in reply.text
    assert "3. <b>-4444</b> · — · msg 7" in reply.text  # a basic group has no message links
    assert "ship <u><b>ORD-1</b></u> now" in reply.text
    assert "x ⏎ y<u><b>a ⏎ b</b></u>" in reply.text
    assert "… and 9 more" in text


def test_a_backtest_without_hits_says_so_briefly() -> None:
    report = BacktestReport(hits=0, scanned=3, seconds=0.01)
    text = shown(backtest_reply(pattern_subject(RuleKind.KEYWORDS, "a,\nb"), report, [], UTC_TZ))
    assert "Backtest of keywords a, ⏎ b" in text and "0 hit(s) in 3 message(s)" in text
    assert "First" not in text and "more" not in text


def test_deleting_asks_first_and_counts_the_detections() -> None:
    prompt = delete_prompt(rule(9, "old"), 1500)
    assert "Delete rule #9 old? It has 1\u2009500 past detection(s)" in shown(prompt)
    assert DeleteConfirm.unpack(callbacks(prompt)[0]).rule_id == 9
    assert callbacks(prompt)[1] == CANCEL_CALLBACK
    assert "Deleted rule #9 old and its 0 past detection(s)" in shown(
        rule_deleted(rule(9, "old"), 0)
    )
