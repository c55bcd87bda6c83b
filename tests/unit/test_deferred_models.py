"""aiogram's models are built on first use: same validation, every type still buildable."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import telegramvault  # the entry point installs the deferral before aiogram is imported
    import aiogram.methods as methods
    import aiogram.types as types
    from aiogram.methods import SendMessage

    print("message built at import:", types.Message.__pydantic_complete__)
    print("method built at import:", SendMessage.__pydantic_complete__)
    update = types.Update.model_validate({
        "update_id": 7,
        "message": {
            "message_id": 3, "date": 1700000000,
            "chat": {"id": -1001, "type": "supergroup", "title": "t"},
            "from": {"id": 5, "is_bot": False, "first_name": "Ann"},
            "text": "/search hola", "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
            "reply_to_message": {
                "message_id": 2, "date": 1700000000, "chat": {"id": -1001, "type": "supergroup"},
                "photo": [{"file_id": "f", "file_unique_id": "u", "width": 90, "height": 60}],
            },
        },
    })
    print("nested photo width:", update.message.reply_to_message.photo[0].width)
    print("entity type:", update.message.entities[0].type)
    markup = types.InlineKeyboardMarkup(
        inline_keyboard=[[types.InlineKeyboardButton(text="Next", callback_data="n:1")]]
    )
    call = SendMessage(chat_id=1, text="x", reply_markup=markup)
    print("serialized button:", call.model_dump()["reply_markup"]["inline_keyboard"][0][0]["text"])
    unbuilt = []
    everything = [(types, n) for n in types.__all__] + [(methods, n) for n in methods.__all__]
    for module, name in everything:
        model = getattr(module, name)
        if hasattr(model, "model_rebuild"):
            model.model_rebuild()
            if not model.__pydantic_complete__:
                unbuilt.append(name)
    print("unbuildable:", unbuilt)
    """
)


def test_aiogram_types_build_on_first_use_and_all_remain_buildable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == [
        "message built at import: False",
        "method built at import: False",
        "nested photo width: 90",
        "entity type: bot_command",
        "serialized button: Next",
        "unbuildable: []",
    ]


def test_install_is_harmless_once_aiogram_is_loaded() -> None:
    probe = "import aiogram.types as t\nimport bot\nprint(t.Message.__pydantic_complete__)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
