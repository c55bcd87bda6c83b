"""Detection rules from the chat, end to end: the add-rule dialog and its one-line form, the paged
list with on/off buttons, built-in detectors, backtests and deletion, with the real aiogram bot
and the real detection service on a real vault (both dialects)."""

from __future__ import annotations

import pytest
from sqlalchemy import Table, func, select

from bot.rule_forms import BuiltinEnable
from core.db.tables import alerts, detection_rules, detections
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind, Severity
from core.errors import InvalidInputError
from services.detection.builtins import BUILTIN_NAMES
from services.detection.service import RuleDraft
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f
from tests.e2e.harness import ADMIN, STRANGER, BotEnv, find_button
from tests.fakes.botapi import SentMessage

CHAT = f.chat(-1001234567890, title="Orders <desk>", username="orders_desk")
OTHER_CHAT = f.chat(-1009876543210, title="Chit-chat", username=None)
ORDER = r"\bORD-\d{6}\b"
TEXTS = [
    "please ship ORD-123456 today",
    "nothing to see here",
    "second one: ORD-654321, thanks",
    "ORD-12 is too short",
]


async def ingest(env: BotEnv, *, scan: bool = False) -> None:
    """Four messages in CHAT and one in OTHER_CHAT; ``scan`` runs the rules on them."""
    page = ArchivePage(
        messages=[
            *(f.message(i, chat_id=CHAT.id, text=text) for i, text in enumerate(TEXTS, 1)),
            f.message(1, chat_id=OTHER_CHAT.id, text="forwarded ORD-777777"),
        ],
        chats=[CHAT, OTHER_CHAT],
        users=[f.user()],
    )
    scanner = env.services.detection if scan else None
    await IngestService(env.db, MediaPolicy(frozenset(), 0), scanner=scanner).ingest_page(page)


async def count(env: BotEnv, table: Table) -> int:
    async with env.db.reader() as uow:
        result = await uow.connection.execute(select(func.count()).select_from(table))
        return int(result.scalar_one())


async def created_by(env: BotEnv, name: str) -> int | None:
    query = select(detection_rules.c.created_by).where(detection_rules.c.name == name)
    async with env.db.reader() as uow:
        return (await uow.connection.execute(query)).scalar_one()  # type: ignore[no-any-return]


async def dialog_state(env: BotEnv) -> str | None:
    """The admin's FSM state: None once a dialog is over."""
    return await env.dispatcher.fsm.get_context(env.bot, chat_id=ADMIN, user_id=ADMIN).get_state()


def text_of(message: SentMessage) -> str:
    return message.plain_text or ""


async def add(env: BotEnv, name: str, pattern: str = ORDER, *, cooldown: int = 0) -> int:
    draft = RuleDraft(name, RuleKind.REGEX, pattern, cooldown_seconds=cooldown)
    return (await env.services.detection.add_rule(draft)).id


# --- the dialog ------------------------------------------------------------------------------


async def test_the_dialog_adds_a_rule_step_by_step(env: BotEnv) -> None:
    await ingest(env)
    prompt = await env.reply("/rule_add")
    assert "step 1 of 5" in text_of(prompt) and "/rule_add <name> regex <pattern>" in text_of(
        prompt
    )
    assert "✖ Cancel" in str(prompt.buttons)
    kinds = await env.reply("orders")
    assert "step 2 of 5" in text_of(kinds) and "✖ Cancel" in str(kinds.buttons)
    pattern_step = await env.press(kinds, "Regex")
    assert pattern_step.message_id == kinds.message_id and pattern_step.edits == 1
    assert "step 3 of 5" in text_of(pattern_step) and "✖ Cancel" in str(pattern_step.buttons)
    scope = await env.reply(ORDER)
    assert "step 4 of 5" in text_of(scope) and "✖ Cancel" in str(scope.buttons)
    severity = await env.reply("@orders_desk")
    assert "step 5 of 5" in text_of(severity) and "✖ Cancel" in str(severity.buttons)
    confirm = await env.press(severity, "high")
    summary = text_of(confirm)
    assert "Name: orders" in summary and "Scope: @orders_desk" in summary
    assert "Backtest: 2 matching message(s) in 4 checked" in summary  # OTHER_CHAT is out of scope
    saved = await env.press(confirm, "Save")
    assert "Saved rule #1 orders" in text_of(saved) and env.answers()[-1] == "Saved."

    rule = await env.services.detection.get_rule("orders")
    assert (rule.kind, rule.pattern, rule.severity) == (RuleKind.REGEX, ORDER, Severity.HIGH)
    assert rule.chat_ids == frozenset({CHAT.id}) and rule.enabled
    assert await created_by(env, "orders") == ADMIN
    assert "#1 orders" in text_of(await env.reply("/rules"))
    assert await dialog_state(env) is None


async def test_the_dialog_picks_a_builtin_detector_for_all_chats(env: BotEnv) -> None:
    await env.reply("/rule_add")
    kinds = await env.reply("cards  everywhere")
    detectors = await env.press(kinds, "Built-in")
    assert all(name in text_of(detectors) for name in BUILTIN_NAMES)
    scope = await env.press(detectors, "card")
    severity = await env.press(scope, "All chats")
    confirm = await env.press(severity, "critical")
    assert "Scope: all chats" in text_of(confirm) and "Kind: Built-in" in text_of(confirm)
    await env.press(confirm, "Save")
    rule = await env.services.detection.get_rule("cards everywhere")
    assert (rule.kind, rule.pattern, rule.chat_ids) == (RuleKind.BUILTIN, "card", frozenset())
    assert rule.severity is Severity.CRITICAL


async def test_cancelling_in_the_middle_leaves_no_rule(env: BotEnv) -> None:
    await env.reply("/rule_add")
    kinds = await env.reply("half done")
    pattern_step = await env.press(kinds, "Keywords")
    cancelled = await env.press(pattern_step, "Cancel")
    assert text_of(cancelled) == "Cancelled."
    assert await dialog_state(env) is None
    assert "No rules yet" in text_of(await env.reply("/rules"))

    await env.reply("/rule_add")
    kinds = await env.reply("also half done")
    assert text_of(await env.reply("/cancel")) == "Cancelled."
    await env.press(kinds, "Regex")  # the step's button is stale now
    assert env.answers()[-1] == "This step is over; start again with /rule_add."
    assert "No rules yet" in text_of(await env.reply("/rules"))


async def test_an_invalid_pattern_gets_the_exact_reason_and_the_step_again(env: BotEnv) -> None:
    detection = env.services.detection
    reasons = []
    for bad in ("(unclosed", "a*"):
        with pytest.raises(InvalidInputError) as refused:
            await detection.backtest(RuleDraft("x", RuleKind.REGEX, bad))
        reasons.append(str(refused.value))
    await env.reply("/rule_add")
    pattern_step = await env.press(await env.reply("strict"), "Regex")
    for bad, reason in zip(("(unclosed", "a*"), reasons, strict=True):
        again = await env.reply(bad)
        assert reason[:1].upper() + reason[1:] in text_of(again)
        assert "step 3 of 5" in text_of(again) and "✖ Cancel" in str(again.buttons)
    assert "step 4 of 5" in text_of(await env.reply(ORDER))
    assert pattern_step.edits == 1


async def test_names_and_chats_are_checked_at_their_step(env: BotEnv) -> None:
    await ingest(env)
    await add(env, "taken")
    await env.reply("/rule_add")
    assert "already exists" in text_of(await env.reply("TAKEN"))
    assert "cannot be a number" in text_of(await env.reply("12345"))
    kinds = await env.reply("fresh")
    await env.press(kinds, "Keywords")
    assert "no usable keyword" in text_of(await env.reply(", ,"))
    await env.reply("ship, thanks")
    unknown = await env.reply("@orders_desk, @nobody_here 4242")
    assert "Not in the vault: @nobody_here, 4242" in text_of(unknown)
    assert "step 4 of 5" in text_of(unknown)
    assert "Not a chat @username" in text_of(await env.reply("Chit-chat"))
    severity = await env.reply(f"{OTHER_CHAT.id}, @orders_desk")
    assert "Use the buttons" in text_of(await env.reply("medium"))
    confirm = await env.press(severity, "low")
    assert "Scope: Chit-chat, @orders_desk" in text_of(confirm)
    await env.press(confirm, "Save")
    rule = await env.services.detection.get_rule("fresh")
    assert rule.chat_ids == frozenset({CHAT.id, OTHER_CHAT.id})


async def test_one_line_rules_for_power_users(env: BotEnv) -> None:
    saved = await env.reply(f"/rule_add leaks regex {ORDER}")
    assert "Saved rule #1 leaks" in text_of(saved)
    assert "Saved rule #2 cards" in text_of(await env.reply("/rule_add cards keywords visa, amex"))
    assert "builtin:iban" in text_of(await env.reply("/rule_add builtin iban"))
    assert "already exists" in text_of(await env.reply("/rule_add LEAKS regex x+"))
    assert "could not read that rule" in text_of(await env.reply("/rule_add just-a-name"))
    assert "missing ]: [a-" in text_of(await env.reply("/rule_add broken regex [a-"))
    assert "unknown built-in detector 'nope'" in text_of(await env.reply("/rule_add builtin nope"))
    rule = await env.services.detection.get_rule("cards")
    assert (rule.kind, rule.pattern) == (RuleKind.KEYWORDS, "visa, amex")
    assert (await env.services.detection.list_rules())[1] == 3


# --- the list, toggles, pages, built-ins -----------------------------------------------------


async def test_a_toggle_turns_a_rule_off_and_on_in_place(env: BotEnv) -> None:
    await add(env, "orders", cooldown=300)
    page = await env.reply("/rules")
    listed = text_of(page)
    assert "✅ on · #1 orders · regex · 🟠 medium" in listed
    assert "all chats · cooldown 5m 0s" in listed and ORDER in listed
    off = await env.press(page, "orders")
    assert off.message_id == page.message_id and off.edits == 1
    assert "⏸ off · #1 orders" in text_of(off) and env.answers()[-1] == "orders is off."
    assert not (await env.services.detection.get_rule(1)).enabled
    on = await env.press(off, "orders")
    assert "✅ on · #1 orders" in text_of(on) and on.edits == 2
    assert (await env.services.detection.get_rule(1)).enabled


async def test_pages_move_with_prev_and_next(env: BotEnv) -> None:
    assert env.services.page_size == 5
    for i in range(1, 8):
        await add(env, f"rule-{i}", f"word{i}")
    first = await env.reply("/rules")
    assert "page 1/2" in text_of(first) and "#5 rule-5" in text_of(first)
    assert "#6 rule-6" not in text_of(first)
    second = await env.press(first, "Next")
    assert second.message_id == first.message_id and "page 2/2" in text_of(second)
    assert "#6 rule-6" in text_of(second) and "#7 rule-7" in text_of(second)
    assert "#1 rule-1" not in text_of(second)
    toggled = await env.press(second, "rule-7")
    assert "page 2/2" in text_of(toggled) and "⏸ off · #7 rule-7" in text_of(toggled)
    back = await env.press(toggled, "Prev")
    assert "page 1/2" in text_of(back)
    late = await env.reply("/rules 2")
    assert "page 2/2" in text_of(late)
    for name in ("rule-6", "rule-7"):
        await env.services.detection.delete_rule(name)
    shrunk = await env.press(late, "rule-6")  # page 2 is gone: the last page is shown
    assert env.answers()[-1] == "That rule no longer exists."
    assert "page 1/1" in text_of(shrunk) and "#5 rule-5" in text_of(shrunk)
    assert "/rules builtins" in text_of(await env.reply("/rules everything"))


async def test_built_in_detectors_are_listed_and_enabled_by_name(env: BotEnv) -> None:
    page = await env.reply("/rules builtins")
    for name in BUILTIN_NAMES:
        assert name in text_of(page)
    assert "IBANs with a valid mod-97 check" in text_of(page)
    enabled = await env.press(page, "Enable iban")
    assert enabled.message_id == page.message_id and "✅ on · iban" in text_of(enabled)
    assert "Enable iban" not in str(enabled.buttons) and env.answers()[-1] == "iban is on."
    rule = await env.services.detection.get_rule("builtin:iban")
    assert rule.kind is RuleKind.BUILTIN and await created_by(env, "builtin:iban") == ADMIN

    await env.services.detection.set_enabled("builtin:iban", False)
    rules = await env.reply("/rules")
    builtins = await env.press(rules, "Built-in detectors")
    assert "⏸ off · iban" in text_of(builtins)
    again = await env.press(builtins, "Enable iban")  # turns the existing rule back on
    assert "✅ on · iban" in text_of(again)
    assert (await env.services.detection.list_rules())[1] == 1
    assert "Detection rules" in text_of(await env.press(again, "Rules"))


# --- backtests -------------------------------------------------------------------------------


async def test_rule_test_backtests_a_rule_without_storing_or_alerting(env: BotEnv) -> None:
    await add(env, "orders")
    await ingest(env, scan=True)  # the live scan stores 3 detections and alerts both admins
    alerts_before, detections_before = await count(env, alerts), await count(env, detections)
    assert (alerts_before, detections_before) == (6, 3)
    report = await env.reply("/rule_test orders")
    shown = text_of(report)
    assert "Backtest of rule #1 orders" in shown
    assert "3 hit(s) in 5 message(s) checked" in shown and " s · full scan" in shown
    assert "Orders <desk>" in shown and "2025-01-01 00:01" in shown
    assert "please ship ORD-123456 today" in shown and "Chit-chat" in shown
    assert "<u><b>ORD-123456</b></u>" in (report.text or "")
    assert 'href="https://t.me/orders_desk/1"' in (report.text or "")
    assert await count(env, alerts) == alerts_before
    assert await count(env, detections) == detections_before


async def test_rule_test_backtests_patterns_and_keywords(env: BotEnv) -> None:
    await ingest(env)
    regex = text_of(await env.reply(r"/rule_test ORD-\d{2}\b"))
    assert "Backtest of regex ORD-\\d{2}\\b" in regex and "1 hit(s)" in regex
    assert "ORD-12" in regex
    keywords = text_of(await env.reply("/rule_test kw:thanks, nothing"))
    assert "keywords thanks, nothing" in keywords and "2 hit(s)" in keywords
    assert "index prefilter" in keywords
    assert "0 hit(s)" in text_of(await env.reply("/rule_test zebra"))
    assert "missing )" in text_of(await env.reply("/rule_test (oops")).lower()
    assert "use /rule_test <rule name or id>" in text_of(await env.reply("/rule_test"))
    assert await count(env, alerts) == 0


# --- deletion --------------------------------------------------------------------------------


async def test_rule_del_confirms_and_says_how_many_detections_went(env: BotEnv) -> None:
    await add(env, "orders")
    await ingest(env, scan=True)
    confirm = await env.reply("/rule_del orders")
    assert "Delete rule #1 orders? It has 3 past detection(s)" in text_of(confirm)
    done = await env.press(confirm, "Delete")
    assert "Deleted rule #1 orders and its 3 past detection(s)" in text_of(done)
    assert done.edits == 1 and env.answers()[-1] == "Deleted."
    assert await count(env, detections) == 0
    assert "no rule" in text_of(await env.reply("/rule_del orders"))
    assert "/rule_del <rule name or id>" in text_of(await env.reply("/rule_del"))


async def test_rule_del_cancel_keeps_the_rule(env: BotEnv) -> None:
    await add(env, "orders")
    confirm = await env.reply("/rule_del #1")
    delete = find_button(confirm, "Delete")
    assert text_of(await env.press(confirm, "Cancel")) == "Cancelled."
    await env.feed(env.api.callback_update(user_id=ADMIN, data=delete, message=confirm))
    assert env.answers()[-1] == "This confirmation has expired; send /rule_del again."
    assert (await env.services.detection.get_rule("orders")).id == 1


async def test_stale_buttons_answer_gracefully(env: BotEnv) -> None:
    await add(env, "orders")
    await add(env, "other", "other")
    page = await env.reply("/rules")
    unknown = BuiltinEnable(name="retired").pack()
    await env.feed(env.api.callback_update(user_id=ADMIN, data=unknown, message=page))
    assert env.answers()[-1] == "This button has expired."
    confirm = await env.reply("/rule_del orders")
    await env.services.detection.delete_rule("orders")  # gone meanwhile
    gone = await env.press(confirm, "Delete")
    assert (
        "no longer exists" in text_of(gone) and env.answers()[-1] == "That rule no longer exists."
    )

    refreshed = await env.press(page, "orders")
    assert env.answers()[-1] == "That rule no longer exists."
    assert "#1 orders" not in text_of(refreshed) and "#2 other" in text_of(refreshed)
    await add(env, "third", "third")
    first = await env.reply("/rule_del other")
    await env.reply("/rule_del third")  # a newer confirmation replaces the first
    await env.press(first, "Delete")
    assert env.answers()[-1] == "This confirmation has expired; send /rule_del again."
    assert (await env.services.detection.get_rule("other")).id == 2


async def test_a_stranger_gets_nothing_from_any_rules_command_or_button(env: BotEnv) -> None:
    await ingest(env)
    await add(env, "orders")
    for command in (
        "/rules",
        "/rules builtins",
        "/rule_add",
        "/rule_add x regex y",
        "/rule_test orders",
        "/rule_del orders",
    ):
        assert await env.send(command, user_id=STRANGER) == []
    page = await env.reply("/rules")
    builtins = await env.reply("/rules builtins")
    await env.reply("/rule_add")
    kinds = await env.reply("mine")
    confirm = await env.reply("/rule_del orders")
    answered = len(env.answers())
    for message, label in (
        (page, "orders"),
        (page, "Built-in"),
        (builtins, "Enable iban"),
        (kinds, "Regex"),
        (confirm, "Delete"),
        (confirm, "Cancel"),
    ):
        await env.press(message, label, user_id=STRANGER)
    assert len(env.answers()) == answered and env.api.messages(STRANGER) == []
    assert (await env.services.detection.list_rules())[1] == 1
    assert (await env.services.detection.get_rule("orders")).enabled
