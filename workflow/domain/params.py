"""Checks and cleans an action's parameters against its `Param` list (definition.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from workflow.domain.definition import ACTIONS, RATINGS, Param
from workflow.domain.errors import InvalidInput

# People type Chinese; programs send ids. Both are accepted.
_CHOICE_ALIASES = {label: key for key, label in RATINGS.items()}


def _text(param: Param, value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InvalidInput(f"“{param.label}”应为文字。", field=param.name)
    text = str(value).strip()
    if len(text) > param.max_length:
        raise InvalidInput(f"“{param.label}”太长（最多 {param.max_length} 字）。", field=param.name)
    return text


def _date(param: Param, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(_text(param, value))
    except ValueError:
        raise InvalidInput(f"“{param.label}”应为日期，格式如 2025-06-30。", field=param.name) from None


def _codes(param: Param, value: Any, noun: str = "单位代码") -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace("，", ",").replace("、", ",").split(",")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"“{param.label}”应为{noun}的列表。", field=param.name)
    codes = [v.strip() for v in value if v.strip()]
    if len(set(codes)) != len(codes):
        raise InvalidInput(f"“{param.label}”中有重复的{noun.removesuffix('代码')}。", field=param.name)
    if any(len(c) > 32 for c in codes):
        raise InvalidInput(f"“{param.label}”中有过长的{noun}。", field=param.name)  # no code or number is longer
    return codes


_TRUE, _FALSE = {"true", "1", "on", "yes", "是", "确认"}, {"false", "0", "off", "no", "否", ""}


def _bool(param: Param, value: Any) -> bool:
    """JSON true/false; a form's "on"; the words people type."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidInput(f"“{param.label}”应为 true 或 false。", field=param.name)


def _clean_one(param: Param, value: Any, categories: tuple[str, ...]) -> Any:
    if param.kind in ("text", "textarea", "unit"):
        return _text(param, value)
    if param.kind == "choice":
        text = _text(param, value)
        text = _CHOICE_ALIASES.get(text, text)
        if text.upper() in param.choices and len(text) == 1:
            text = text.upper()
        if text not in param.choices:
            raise InvalidInput(f"“{param.label}”只能是：{'、'.join(param.choices)}。", field=param.name)
        return text
    if param.kind == "category":
        text = _text(param, value)
        if text not in categories:
            raise InvalidInput(f"类别只能是：{'、'.join(categories)}。", field=param.name)
        return text
    if param.kind == "date":
        return _date(param, value)
    if param.kind == "int":
        try:
            number = int(str(value).strip().rstrip("%"))
        except (TypeError, ValueError):
            raise InvalidInput(f"“{param.label}”应为整数。", field=param.name) from None
        if not 0 <= number <= 100:
            raise InvalidInput(f"“{param.label}”应在 0 到 100 之间。", field=param.name)
        return number
    if param.kind == "units":
        return _codes(param, value)
    if param.kind == "numbers":  # proposal numbers (并案办理)
        return _codes(param, value, "建议编号")
    if param.kind == "bool":
        return _bool(param, value)
    raise AssertionError(f"unknown parameter kind {param.kind}")


def web_url(url: str) -> str:
    """`url` if it is a web address (http or https, no spaces or control characters), else "": a photo's
    javascript: or data: "URL" is never stored or linked (its media_id still names it)."""
    url = (url or "").strip()
    if url.lower().startswith(("http://", "https://")) and not any(ord(c) < 0x21 or ord(c) == 0x7f for c in url):
        return url
    return ""


def clean_params(action: str, raw: Mapping[str, Any], categories: tuple[str, ...]) -> dict[str, Any]:
    """The action's parameters, checked and converted; InvalidInput names the first wrong one."""
    return clean_values(ACTIONS[action].params, raw, categories)


def clean_values(params: tuple[Param, ...], raw: Mapping[str, Any], categories: tuple[str, ...]) -> dict[str, Any]:
    """`params` read from `raw` (any action's list: a proposal's, an opinion's)."""
    cleaned: dict[str, Any] = {}
    for param in params:
        value = raw.get(param.name)
        empty = value is None or (isinstance(value, (str, list, tuple)) and not (
            value.strip() if isinstance(value, str) else value))
        if empty:
            if param.required:
                raise InvalidInput(f"请填写“{param.label}”。", field=param.name)
            continue
        cleaned[param.name] = _clean_one(param, value, categories)
    return cleaned
