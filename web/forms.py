"""Reading what a page or a program posted: a JSON object, or an HTML form (text fields only)."""
from __future__ import annotations

import json
import re
from typing import Any, Optional

from aiohttp import web

from workflow.errors import InvalidInput, NotFound

MAX_DEPTH = 16  # no form or action nests deeper than 3; a deeper body is not one of ours
ID_MAX = 2**31 - 1  # the largest id either database keeps (PostgreSQL's integer)
_DIGITS = re.compile(r"[0-9]{1,10}")  # ASCII digits only: "²" and "٣" pass str.isdigit() but are not numbers here


async def json_object(request: web.Request) -> dict:
    """The JSON object in the body; anything else (not JSON, not an object, nested absurdly deep) is bad
    input with a Chinese message."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInput("请求内容应为 JSON 对象。") from None
    if not isinstance(body, dict):
        raise InvalidInput("请求内容应为 JSON 对象。")
    if _depth(body) > MAX_DEPTH:
        raise InvalidInput("请求内容嵌套层次太多。")
    return body


NUL_REFUSED = "内容中含有空字符（\\u0000），无法保存，没有做任何更改。"


def refuse_nul(*texts: str) -> None:
    """Bad input for a NUL character anywhere: no text of ours holds one, and PostgreSQL refuses them."""
    if any("\x00" in text for text in texts):
        raise InvalidInput(NUL_REFUSED)


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (counted without recursion); a NUL in any key or
    text is refused on the way."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, str):
            refuse_nul(item)
        elif isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            if isinstance(item, dict):
                refuse_nul(*map(str, item))
            todo.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def ascii_digits(raw: Optional[str]) -> bool:
    """Whether `raw` is 1 to 10 ASCII digits (what every number in our URLs is)."""
    return raw is not None and _DIGITS.fullmatch(raw) is not None


def whole_number(raw: Optional[str], low: int = 0, high: int = ID_MAX) -> Optional[int]:
    """`raw` as a whole number in ASCII digits within [low, high]; None for anything else."""
    if not ascii_digits(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def path_id(request: web.Request, name: str = "id", missing: str = "找不到该记录。") -> int:
    """An id in the URL's path, or NotFound (an id no row can have is simply not found)."""
    value = whole_number(request.match_info.get(name), 1)
    if value is None:
        raise NotFound(missing)
    return value


async def posted(request: web.Request) -> tuple[dict, bool]:
    """(fields, is_json): a JSON object when the body is JSON, else the form's text fields."""
    if request.content_type == "application/json":
        return await json_object(request), True
    fields = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
    refuse_nul(*fields, *fields.values())
    return fields, False
