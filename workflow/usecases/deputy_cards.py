"""亮身份: the deputy's public card (/d/<number>) and its 代表码 (/o/<code>), and what the deputy chooses to
show on it (代表法 2025 art. 58: the standing committee publishes the deputies' basic information and their
履职 record). Each change the deputy makes is a system event.

A card is made with the defaults the first time it is needed: published, work unit, duty days and the
record shown, the deputy's own phone hidden until the deputy asks for it.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import Deputy, DeputyCard, utcnow
from storage.uow import Conflict, UnitOfWork
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.rules import Actor
from workflow.engine.chain import append_system_event
from workflow.engine.opinions import ensure_card  # noqa: F401 (the one maker of cards and their codes)

FLAGS = {"show_phone": "显示个人电话", "show_work_unit": "显示工作单位", "show_record": "显示履职情况",
         "show_duty": "显示值班安排", "published": "公开名片"}
RELAY_MAX = 20
_RELAY = re.compile(r"^[0-9\- ]*$")


async def ensure_cards(db: Database) -> int:
    """A card for every active deputy who has none (after a roster import, at start-up); how many were made."""
    async with UnitOfWork(db) as session:
        missing = (await session.execute(
            select(Deputy).outerjoin(DeputyCard, DeputyCard.deputy_id == Deputy.id)
            .where(Deputy.active.is_(True), DeputyCard.deputy_id.is_(None)).order_by(Deputy.id))).scalars().all()
        for deputy in missing:
            await ensure_card(session, deputy)
    return len(missing)


async def ensure_card_of(db: Database, number: str) -> bool:
    """Make the card of deputy `number` if it has none yet (public pages, the bot); False when there is no
    such active deputy. Two first requests at once: one makes it, the other finds it made."""
    async with db.read() as session:
        deputy = await repo.deputy_by_number(session, number)
        if deputy is None or not deputy.active:
            return False
        if await session.get(DeputyCard, deputy.id) is not None:
            return True
    try:
        async with UnitOfWork(db) as session:
            deputy = await repo.deputy_by_number(session, number)
            if deputy is not None:
                await ensure_card(session, deputy)
    except Conflict:
        pass  # made at the same moment by another request
    return True


def clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes a deputy may make, checked one by one (InvalidInput naming the field)."""
    if not changes:
        raise InvalidInput("没有要修改的名片设置。", field="changes")
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name in FLAGS:
            if not isinstance(value, bool):
                raise InvalidInput(f"“{FLAGS[name]}”只能选择“是”或“否”。", field=name)
            clean[name] = value
        elif name == "relay_phone":
            text = "" if value is None else value
            if not isinstance(text, str) or not _RELAY.match(text.strip()) or len(text.strip()) > RELAY_MAX:
                raise InvalidInput(f"转接电话只能填数字（可含 - 和空格），最多 {RELAY_MAX} 位；不用转接电话请填“无”。",
                                   field="relay_phone")
            clean[name] = " ".join(text.split())
        else:
            raise InvalidInput(f"名片没有“{str(name)[:20]}”这项设置。", field=str(name)[:40])
    return clean


def settings_of(card: DeputyCard) -> dict[str, Any]:
    return {"show_phone": card.show_phone, "show_work_unit": card.show_work_unit, "show_record": card.show_record,
            "show_duty": card.show_duty, "published": card.published, "relay_phone": card.relay_phone}


async def update_card(db: Database, deputy_number: str, changes: Mapping[str, Any], actor: Actor) -> DeputyCard:
    """Change what deputy `deputy_number`'s card shows; one system event records the change."""
    clean = clean_changes(changes)
    async with UnitOfWork(db) as session:
        deputy = await repo.deputy_by_number(session, deputy_number)
        if deputy is None:
            raise NotFound(f"找不到代表证号为 {deputy_number} 的代表。")
        card = await ensure_card(session, deputy)
        before = settings_of(card)
        for name, value in clean.items():
            setattr(card, name, value)
        card.updated_at = utcnow()
        changed = {k: v for k, v in clean.items() if before[k] != v}
        if changed:
            await append_system_event(session, "update_deputy_card", actor, "deputy", deputy.number,
                                      {"changes": changed, "before": {k: before[k] for k in changed}})
    return card
