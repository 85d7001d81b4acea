"""答复函 as pages and the .docx print it: the parts of one reply's letter, assembled once (title, addressee,
category mark, text, 签发人, 文号, date, 承办人, 抄送, the unit for the seal), the units' registered heads,
and the sealed letters uploaded. Reads only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Reply, SealedLetter, UnitHead, utcnow
from workflow.domain.clock import local_date
from workflow.domain.definition import REPLY_CATEGORIES, REPLY_KINDS
from workflow.domain.letters import Head, chinese_date, copy_line
from workflow.domain.sessions import reply_title
from workflow.readmodels.sessions import reference_of


@dataclass(frozen=True)
class Letter:
    """Everything one 答复函 prints, in the order it prints it."""

    reply_id: int
    proposal_ref: str
    category: str  # the mark at the top right: A, B, C or D
    category_label: str
    doc_number: str  # 文号, e.g. 衡教函〔2026〕12号 ("" when not given)
    signer: str  # 签发人
    signer_title: str
    title: str  # 关于县十八届人大五次会议第24号建议的答复
    reference: str  # 县十八届人大五次会议第24号建议
    addressee: str  # 张三丰代表：
    paragraphs: tuple[str, ...]
    unit_name: str  # above the date, where the seal goes
    date: str  # 2026年12月2日
    handler: str  # 承办人
    handler_phone: str
    copy_to: str  # 县人大常委会代表工委，县政府办
    kind_label: str  # 答复 / 再次答复
    round: int

    @property
    def signer_line(self) -> str:
        return f"{self.signer_title} {self.signer}".strip()

    @property
    def contact_line(self) -> str:
        """（承办人：欧阳琳，联系电话：0734-6821101）, or "" when neither was given."""
        parts = [f"承办人：{self.handler}"] if self.handler else []
        parts += [f"联系电话：{self.handler_phone}"] if self.handler_phone else []
        return f"（{'，'.join(parts)}）" if parts else ""

    @property
    def text(self) -> str:
        """Every line of the letter as plain text (what a check of the .docx or the page looks for)."""
        lines = [self.category, self.doc_number, f"签发人：{self.signer_line}", self.title, self.addressee,
                 *self.paragraphs, self.unit_name, self.date, self.contact_line, f"抄送：{self.copy_to}。"]
        return "\n".join(line for line in lines if line)


def reply_of(proposal, reply_id: int) -> Optional[Reply]:
    """The reply `reply_id` of a fully loaded `proposal`, or None (another proposal's, or none)."""
    return next((r for r in proposal.replies if r.id == reply_id), None)


def letter_of(names, proposal, reply: Reply) -> Letter:
    """The letter of `reply` (of a fully loaded `proposal`), in the county's words (settings [names])."""
    unit = next(a.unit for a in proposal.assignments if a.id == reply.assignment_id)
    reference = reference_of(names.place, proposal)
    day = reply.replied_on or local_date(reply.created_at or utcnow())
    paragraphs = tuple(line.strip() for line in (reply.text or "").splitlines() if line.strip())
    return Letter(
        reply_id=reply.id, proposal_ref=proposal.ref, category=reply.category,
        category_label=REPLY_CATEGORIES.get(reply.category, ""), doc_number=reply.doc_number or "",
        signer=reply.signer, signer_title=reply.signer_title or "", title=reply_title(reference),
        reference=reference, addressee=f"{proposal.lead_deputy.name}代表：", paragraphs=paragraphs,
        unit_name=unit.name, date=chinese_date(day), handler=reply.handler or "",
        handler_phone=reply.handler_phone or "",
        copy_to=copy_line(names.committee, names.staff_body, names.government_office),
        kind_label=REPLY_KINDS.get(reply.kind or "answer", "答复"), round=reply.round)


async def active_heads(session: AsyncSession, unit_id: int) -> list[Head]:
    """The unit's heads who may sign now, in the order registered (the unit page's 签发人 choices)."""
    rows = (await session.execute(select(UnitHead).where(UnitHead.unit_id == unit_id, UnitHead.active.is_(True))
                                  .order_by(UnitHead.id))).scalars()
    return [Head(h.name, h.title) for h in rows]


async def sealed_of(session: AsyncSession, reply_ids) -> dict[int, SealedLetter]:
    """The newest sealed letter uploaded for each of `reply_ids` that has one."""
    ids = list(reply_ids)
    if not ids:
        return {}
    newest = (select(func.max(SealedLetter.id)).where(SealedLetter.reply_id.in_(ids))
              .group_by(SealedLetter.reply_id))
    rows = (await session.execute(select(SealedLetter).where(SealedLetter.id.in_(newest)))).scalars()
    return {row.reply_id: row for row in rows}


async def uploads_since(session: AsyncSession, reply_id: int, since) -> int:
    """How many sealed letters were uploaded for `reply_id` since `since` (the upload's rate limit)."""
    return (await session.execute(select(func.count()).select_from(SealedLetter).where(
        SealedLetter.reply_id == reply_id, SealedLetter.uploaded_at > since))).scalar_one()
