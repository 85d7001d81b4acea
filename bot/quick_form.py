"""The one-message form of a proposal: 提建议 followed by lines 标题：… 内容：… (类别：… 联名：…).

Pure text parsing; dialogue.py takes what it finds through the same checks as the guided steps."""
from __future__ import annotations

import re
from typing import Optional

PROPOSE = "提建议"


_FORM_LINE = re.compile(r"^\s*(标题|题目|内容|类别|分类|联名代表|联名)\s*[：:]\s*(.*)$")


_FORM_KEYS = {"标题": "title", "题目": "title", "内容": "content", "类别": "category", "分类": "category",
              "联名代表": "co_signers", "联名": "co_signers"}


def is_form(text: str) -> bool:
    return any(_FORM_LINE.match(line) for line in text.splitlines())


def parse_form(text: str) -> Optional[dict[str, str]]:
    """The one-message form (提建议 + lines 标题：… 内容：… 类别：… 联名：…), or None for a bare 提建议."""
    lines = text.strip().splitlines()
    first = lines[0].strip()[len(PROPOSE):].strip(" ：:")
    body = ([first] if first else []) + lines[1:]
    if not any(line.strip() for line in body):
        return None
    fields: dict[str, str] = {}
    current = None
    for line in body:
        match = _FORM_LINE.match(line)
        if match:
            current = _FORM_KEYS[match.group(1)]
            fields[current] = match.group(2).strip()
        elif current == "content":
            fields["content"] += "\n" + line.rstrip()
        elif line.strip():
            fields.setdefault("_loose", line.strip())
    fields = {k: v.strip() for k, v in fields.items()}
    return fields
