"""Decoding Bot API requests: aiogram sends form fields, objects as JSON, uploads as parts."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tests.fakes.botapi.records import ApiCall

# Free text and identifiers that must stay strings even when they look like JSON ("42", "true").
STRING_FIELDS = frozenset(
    {
        "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "file_id",
        "url", "action", "language_code", "business_connection_id", "message_effect_id",
        "description", "short_description", "name", "title", "query", "emoji", "secret_token",
        "document", "photo", "video", "audio", "animation", "voice", "sticker", "thumbnail",
    }
)  # fmt: skip


def decode_field(name: str, raw: str) -> Any:
    """A form value as the Bot API reads it: JSON when it parses, else the string itself."""
    if name in STRING_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


async def read_call(request: web.Request) -> ApiCall:
    """The call in ``request``: query string, url-encoded or multipart form, or a JSON body."""
    call = ApiCall(method=request.match_info["method"], params={})
    if request.method == "POST" and request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            call.params.update(body)
        return call
    fields = {**request.query, **(await request.post())}
    for name, value in fields.items():
        if isinstance(value, web.FileField):
            call.files[name] = value.file.read()
            call.file_names[name] = value.filename
        else:
            call.params[name] = decode_field(name, str(value))
    return call
