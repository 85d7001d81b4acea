"""Reading what a page or a program posted: a JSON object, or an HTML form (text fields only)."""
from __future__ import annotations

import json

from aiohttp import web

from workflow.errors import InvalidInput


async def json_object(request: web.Request) -> dict:
    """The JSON object in the body; anything else is bad input with a Chinese message."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        raise InvalidInput("请求内容应为 JSON 对象。") from None
    if not isinstance(body, dict):
        raise InvalidInput("请求内容应为 JSON 对象。")
    return body


async def posted(request: web.Request) -> tuple[dict, bool]:
    """(fields, is_json): a JSON object when the body is JSON, else the form's text fields."""
    if request.content_type == "application/json":
        return await json_object(request), True
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}, False
