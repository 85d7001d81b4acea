"""答复函 rules, pure: who may sign a reply (签发人: one of the unit's registered heads once it has any),
how the letter writes its date, and what a sealed letter upload must be.

A reply is issued under the signature of the unit's head with the unit's seal (DESIGN.md section 3); the
unit types the 签发人 only while it has no head registered with the committee.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

from workflow.domain.errors import InvalidInput

SEALED_MAX_BYTES = 10 * 1024 * 1024  # a scanned one- or two-page letter is well under this
SEALED_PER_HOUR = 10  # uploads of one reply's sealed letter within an hour: a stranger's link cannot fill the disk
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Head:
    """One registered head of a unit (单位负责人)."""

    name: str
    title: str = ""

    @property
    def label(self) -> str:
        """局长 贺新民 (the title, then the name), as the letter prints the signer."""
        return f"{self.title} {self.name}".strip()


def _squeezed(text: str) -> str:
    return "".join(text.split())


def chosen_signer(typed: str, heads: Iterable[Head], staff_body: str) -> Optional[Head]:
    """The head `typed` names (by name, or title and name: 贺新民, 局长 贺新民, 局长贺新民); None when the
    unit has no head registered (the typed name stands). InvalidInput on field signer otherwise."""
    heads = list(heads)
    if not heads:
        return None
    wanted = _squeezed(typed or "")
    for head in heads:
        if wanted in (_squeezed(head.name), _squeezed(head.title + head.name)):
            return head
    names = "、".join(h.label for h in heads)
    raise InvalidInput(f"签发人应为本单位登记的负责人：{names}。如负责人有变动，请联系{staff_body}更新登记。",
                       field="signer")


def chinese_date(day: dt.date) -> str:
    """2026年12月2日: the date under a letter's signature (no leading zeros)."""
    return f"{day.year}年{day.month}月{day.day}日"


def copy_line(committee: str, staff_body: str, government_office: str) -> str:
    """抄送：县人大常委会代表工委，县政府办。 (the staff body is the committee's, unless already named so)."""
    body = staff_body if staff_body.startswith(committee) else f"{committee}{staff_body}"
    return f"{body}，{government_office}"


def sealed_problem(head: bytes, size: int) -> str:
    """Why an upload cannot be the sealed letter ("" when it can): it must be a PDF of at most 10 MB."""
    if size == 0:
        return "请选择盖章后的答复函 PDF 文件。"
    if size > SEALED_MAX_BYTES:
        return f"文件太大：盖章答复函不能超过 {SEALED_MAX_BYTES // (1024 * 1024)} MB，请降低扫描分辨率后重新上传。"
    if not head.startswith(PDF_MAGIC):
        return "只能上传 PDF 文件（盖章后扫描或导出的答复函）。"
    return ""
