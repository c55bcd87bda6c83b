"""The rules dialogs' states and buttons, and the pure checks of each step's answer.

Adding a rule walks name → kind → pattern → scope → severity → confirm; deleting one waits for
a confirmation. What the admin answered so far lives in the FSM data as plain values
(``FormData``), so a draft can be rebuilt at any step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup

from core.domain.detection import RuleKind, Severity
from core.errors import InvalidInputError
from services.detection.rule_input import ScopeChat
from services.detection.service import RuleDraft

# FormPick.step values: which step a form button answers.
KIND, DETECTOR, SCOPE, SEVERITY, CONFIRM = "k", "d", "sc", "sv", "ok"
ALL_CHATS, SAVE = "all", "save"
RULES, BUILTINS = "r", "b"


class AddRule(StatesGroup):
    name = State()
    kind = State()
    pattern = State()
    scope = State()
    severity = State()
    confirm = State()


class DeleteRule(StatesGroup):
    confirm = State()


class RulesPage(CallbackData, prefix="rl1"):
    """A page of ``/rules`` (``view`` RULES) or the built-in detectors (``view`` BUILTINS)."""

    view: str
    offset: int = 0


class RuleToggle(CallbackData, prefix="rt1"):
    """Turn a rule on or off (the state wanted, so a double press changes nothing)."""

    rule_id: int
    enable: bool
    offset: int


class BuiltinEnable(CallbackData, prefix="rb1"):
    name: str


class FormPick(CallbackData, prefix="rf1"):
    """A button of the add-rule dialog: the step it answers and the value picked."""

    step: str
    value: str


class DeleteConfirm(CallbackData, prefix="rd1"):
    rule_id: int


def kind_of(value: str) -> RuleKind:
    try:
        return RuleKind(value)
    except ValueError:
        raise InvalidInputError(f"unknown rule kind {value!r}") from None


def severity_of(value: str) -> Severity:
    try:
        return Severity(value.strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise InvalidInputError(f"unknown severity {value!r}; choose one of {choices}") from None


def scope_data(chats: list[ScopeChat]) -> list[list[Any]]:
    """The chats a draft is limited to, as FSM data (plain lists, storage-friendly)."""
    return [[chat.id, chat.label] for chat in chats]


def scope_chats(data: Mapping[str, Any]) -> list[ScopeChat]:
    return [ScopeChat(int(chat_id), str(label)) for chat_id, label in data.get("chats", [])]


def draft_of(data: Mapping[str, Any]) -> RuleDraft:
    """The rule the dialog's answers describe so far (defaults for the steps not yet taken)."""
    return RuleDraft(
        name=str(data["name"]),
        kind=kind_of(str(data["kind"])),
        pattern=str(data["pattern"]),
        severity=severity_of(str(data.get("severity", Severity.MEDIUM.value))),
        chat_ids=frozenset(chat.id for chat in scope_chats(data)),
    )
