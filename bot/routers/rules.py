"""/rules, /rule_add, /rule_test and /rule_del: detection rules managed from the chat.

Adding a rule is a dialog (aiogram FSM, every step cancellable) or one line for power users;
deleting one asks for a confirmation. Buttons from a page, step or confirmation that is over
answer with a short note instead of acting.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.context import BotServices
from bot.presenters import rules as shown
from bot.replies import answer, edit
from bot.rule_forms import (
    BUILTINS,
    CONFIRM,
    DETECTOR,
    KIND,
    SCOPE,
    SEVERITY,
    AddRule,
    BuiltinEnable,
    DeleteConfirm,
    DeleteRule,
    FormPick,
    RulesPage,
    RuleToggle,
    draft_of,
    kind_of,
    scope_chats,
    scope_data,
    severity_of,
)
from bot.text import clip
from bot.ui import Reply
from core.domain.detection import DetectionRule, RuleKind
from core.errors import InvalidInputError, NotFoundError
from services.detection.backtest import BacktestReport
from services.detection.builtins import BUILTIN_NAMES, DETECTORS
from services.detection.rule_input import (
    builtin_rules,
    check_rule_name,
    detection_count,
    every_rule,
    hit_views,
    parse_rule_spec,
    parse_test_target,
    pattern_problem,
    resolve_scope,
)
from services.detection.service import RuleDraft

DESCRIPTIONS = {name: DETECTORS[name].description for name in BUILTIN_NAMES}
FIRST_HITS = 5
ANSWER_CHARS = 190  # callback answers are short notes
TYPED = F.text & ~F.text.startswith("/")  # an answer to a step, not a command
RULES_USAGE = "use /rules, /rules <page> or /rules builtins"
TEST_USAGE = "use /rule_test <rule name or id>, /rule_test <regex> or /rule_test kw:a, b"
DEL_USAGE = "use /rule_del <rule name or id>"
RULE_GONE = "That rule no longer exists."
STEP_OVER = "This step is over; start again with /rule_add."
CONFIRM_OVER = "This confirmation has expired; send /rule_del again."
USE_BUTTONS = "Use the buttons above, or /cancel."


def rules_router() -> Router:
    router = Router(name=__name__)
    on_message, on_button = router.message.register, router.callback_query.register
    on_message(cmd_rules, Command("rules"))
    on_message(cmd_rule_add, Command("rule_add"))
    on_message(cmd_rule_test, Command("rule_test"))
    on_message(cmd_rule_del, Command("rule_del"))
    on_message(on_name, AddRule.name, TYPED)
    on_message(on_pattern, AddRule.pattern, TYPED)
    on_message(on_scope, AddRule.scope, TYPED)
    waiting_for_a_button = StateFilter(AddRule.kind, AddRule.severity, AddRule.confirm)
    on_message(on_typed_instead, waiting_for_a_button, TYPED)
    on_button(on_page, RulesPage.filter())
    on_button(on_toggle, RuleToggle.filter())
    on_button(on_builtin, BuiltinEnable.filter())
    on_button(on_kind, AddRule.kind, FormPick.filter(F.step == KIND))
    on_button(on_detector, AddRule.pattern, FormPick.filter(F.step == DETECTOR))
    on_button(on_all_chats, AddRule.scope, FormPick.filter(F.step == SCOPE))
    on_button(on_severity, AddRule.severity, FormPick.filter(F.step == SEVERITY))
    on_button(on_save, AddRule.confirm, FormPick.filter(F.step == CONFIRM))
    on_button(on_step_over, FormPick.filter())
    on_button(on_delete, DeleteConfirm.filter())
    return router


async def _show(query: CallbackQuery, reply: Reply, note: str | None = None) -> None:
    """Edit the pressed message in place, then answer the press."""
    if isinstance(query.message, Message):
        await edit(query.message, reply)
    await query.answer(clip(note, ANSWER_CHARS) if note else None)


# --- /rules and its buttons --------------------------------------------------------------------


async def cmd_rules(message: Message, command: CommandObject, services: BotServices) -> None:
    arg = (command.args or "").strip().lower()
    if arg == "builtins":
        await answer(message, await _builtins(services))
        return
    if arg and not arg.isdigit():
        raise InvalidInputError(RULES_USAGE)
    page = max(int(arg or 1), 1)
    await answer(message, await _rules(services, (page - 1) * services.page_size))


async def _rules(services: BotServices, offset: int) -> Reply:
    size = services.page_size
    rules, total = await services.detection.list_rules(offset, size)
    if not rules and total:  # past the end (rules were deleted meanwhile): the last page
        offset = (total - 1) // size * size
        rules, total = await services.detection.list_rules(offset, size)
    return shown.rules_page(rules, total, offset, size, services.tz, services.clock())


async def _builtins(services: BotServices) -> Reply:
    return shown.builtins_page(DESCRIPTIONS, builtin_rules(await every_rule(services.detection)))


async def on_page(query: CallbackQuery, callback_data: RulesPage, services: BotServices) -> None:
    if callback_data.view == BUILTINS:
        await _show(query, await _builtins(services))
    else:
        await _show(query, await _rules(services, max(callback_data.offset, 0)))


async def on_toggle(query: CallbackQuery, callback_data: RuleToggle, services: BotServices) -> None:
    try:
        rule = await services.detection.set_enabled(callback_data.rule_id, callback_data.enable)
        note = f"{rule.name} is {'on' if rule.enabled else 'off'}."
    except NotFoundError:
        note = RULE_GONE
    await _show(query, await _rules(services, max(callback_data.offset, 0)), note)


async def on_builtin(
    query: CallbackQuery, callback_data: BuiltinEnable, services: BotServices
) -> None:
    name = callback_data.name
    if name not in DETECTORS:
        await query.answer("This button has expired.")
        return
    existing = builtin_rules(await every_rule(services.detection)).get(name)
    if existing:
        await services.detection.set_enabled(existing[0].id, True)
    else:
        await services.detection.enable_builtin(name, created_by=query.from_user.id)
    await _show(query, await _builtins(services), f"{name} is on.")


# --- /rule_add: one line, or the dialog --------------------------------------------------------


async def cmd_rule_add(
    message: Message, command: CommandObject, state: FSMContext, services: BotServices
) -> None:
    await state.clear()
    if not command.args:
        await state.set_state(AddRule.name)
        await answer(message, shown.name_prompt())
        return
    spec = parse_rule_spec(command.args)
    user = message.from_user.id if message.from_user else None
    if spec.kind is RuleKind.BUILTIN and not spec.name:
        rule = await services.detection.enable_builtin(spec.pattern, created_by=user)
    else:
        draft = RuleDraft(spec.name, spec.kind, spec.pattern)
        rule = await services.detection.add_rule(draft, created_by=user)
    await answer(message, shown.rule_saved(rule))


async def on_name(message: Message, state: FSMContext, services: BotServices) -> None:
    try:
        name = check_rule_name(message.text or "")
        await _refuse_taken(services, name)
    except InvalidInputError as error:
        await answer(message, shown.step_error(str(error), shown.name_prompt()))
        return
    await state.update_data(name=name)
    await state.set_state(AddRule.kind)
    await answer(message, shown.kind_prompt(name))


async def _refuse_taken(services: BotServices, name: str) -> None:
    try:
        await services.detection.get_rule(name)
    except NotFoundError:
        return
    raise InvalidInputError(f"a rule named {name!r} already exists; choose another name")


async def on_kind(query: CallbackQuery, callback_data: FormPick, state: FSMContext) -> None:
    kind = kind_of(callback_data.value)
    await state.update_data(kind=kind.value)
    await state.set_state(AddRule.pattern)
    await _show(query, shown.pattern_prompt(kind, DESCRIPTIONS))


async def on_pattern(message: Message, state: FSMContext, services: BotServices) -> None:
    kind = kind_of((await state.get_data())["kind"])
    pattern = (message.text or "").strip()
    limit = services.detection.max_pattern_length
    problem = pattern_problem(kind, pattern, max_length=limit)
    if problem:
        await answer(message, shown.step_error(problem, shown.pattern_prompt(kind, DESCRIPTIONS)))
        return
    await _to_scope(state, pattern.lower() if kind is RuleKind.BUILTIN else pattern)
    await answer(message, shown.scope_prompt())


async def on_detector(query: CallbackQuery, callback_data: FormPick, state: FSMContext) -> None:
    if callback_data.value not in DETECTORS:
        await query.answer(STEP_OVER)
        return
    await _to_scope(state, callback_data.value)
    await _show(query, shown.scope_prompt())


async def _to_scope(state: FSMContext, pattern: str) -> None:
    await state.update_data(pattern=pattern)
    await state.set_state(AddRule.scope)


async def on_scope(message: Message, state: FSMContext, services: BotServices) -> None:
    try:
        chats = await resolve_scope(services.db, message.text or "")
    except (InvalidInputError, NotFoundError) as error:
        await answer(message, shown.step_error(str(error), shown.scope_prompt()))
        return
    await state.update_data(chats=scope_data(chats))
    await state.set_state(AddRule.severity)
    await answer(message, shown.severity_prompt())


async def on_all_chats(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(chats=[])
    await state.set_state(AddRule.severity)
    await _show(query, shown.severity_prompt())


async def on_severity(
    query: CallbackQuery, callback_data: FormPick, state: FSMContext, services: BotServices
) -> None:
    data = await state.update_data(severity=severity_of(callback_data.value).value)
    await state.set_state(AddRule.confirm)
    draft = draft_of(data)
    report = await services.detection.backtest(draft, first=0)
    await _show(query, shown.confirm_prompt(draft, scope_chats(data), report))


async def on_save(query: CallbackQuery, state: FSMContext, services: BotServices) -> None:
    draft = draft_of(await state.get_data())
    await state.clear()
    rule = await services.detection.add_rule(draft, created_by=query.from_user.id)
    await _show(query, shown.rule_saved(rule), "Saved.")


async def on_step_over(query: CallbackQuery) -> None:
    await query.answer(STEP_OVER)


async def on_typed_instead(message: Message) -> None:
    await message.answer(USE_BUTTONS)


# --- /rule_test --------------------------------------------------------------------------------


async def cmd_rule_test(message: Message, command: CommandObject, services: BotServices) -> None:
    target = (command.args or "").strip()
    if not target:
        raise InvalidInputError(TEST_USAGE)
    subject, report = await _backtest(services, target)
    hits = await hit_views(services.db, report.first_hits)
    await answer(message, shown.backtest_reply(subject, report, hits, services.tz))


async def _backtest(services: BotServices, target: str) -> tuple[str, BacktestReport]:
    """An existing rule by name or id; anything else is a pattern."""
    try:
        rule = await services.detection.get_rule(target)
    except NotFoundError:
        kind, pattern = parse_test_target(target)
        draft = RuleDraft("backtest", kind, pattern)
        report = await services.detection.backtest(draft, first=FIRST_HITS)
        return shown.pattern_subject(kind, pattern), report
    report = await services.detection.backtest_rule(rule.id, first=FIRST_HITS)
    return shown.rule_subject(rule), report


# --- /rule_del ---------------------------------------------------------------------------------


async def cmd_rule_del(
    message: Message, command: CommandObject, state: FSMContext, services: BotServices
) -> None:
    ref = (command.args or "").strip()
    if not ref:
        raise InvalidInputError(DEL_USAGE)
    rule = await services.detection.get_rule(ref)
    detections = await detection_count(services.db, rule.id)
    await state.clear()
    await state.set_state(DeleteRule.confirm)
    await state.update_data(rule_id=rule.id)
    await answer(message, shown.delete_prompt(rule, detections))


async def on_delete(
    query: CallbackQuery, callback_data: DeleteConfirm, state: FSMContext, services: BotServices
) -> None:
    pending = await state.get_state() == DeleteRule.confirm.state
    if not pending or (await state.get_data()).get("rule_id") != callback_data.rule_id:
        await query.answer(CONFIRM_OVER)
        return
    await state.clear()
    detections = await detection_count(services.db, callback_data.rule_id)
    deleted = await _delete(services, callback_data.rule_id)
    if deleted is None:
        await _show(query, shown.rule_gone(), RULE_GONE)
    else:
        await _show(query, shown.rule_deleted(deleted, detections), "Deleted.")


async def _delete(services: BotServices, rule_id: int) -> DetectionRule | None:
    try:
        return await services.detection.delete_rule(rule_id)
    except NotFoundError:
        return None
