"""交办会: assign a batch of a session's accepted proposals at once.

Every row is checked first (the proposal is the session's and accepted, its units exist and are active, the
parameters are what `assign` takes); one wrong row refuses the whole batch with each wrong row named, and
nothing is assigned. Then each proposal is assigned by its own `assign` action (its own event, notices and
交办单), as staff would one by one.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy import select

from storage import repositories as repo
from storage.models import Unit
from workflow.domain.deadlines import due_date
from workflow.domain.errors import InvalidInput
from workflow.domain.params import clean_params
from workflow.domain.rules import Actor
from workflow.engine.engine import ActionResult, Engine

MAX_ITEMS = 500  # a 交办会 of a county session handles a few hundred at most


async def assign_batch(engine: Engine, actor: Actor, session_id: int,
                       items: Sequence[Mapping[str, Any]]) -> list[ActionResult]:
    """Assign every item ({number, lead_units, co_units?, due_date?}) or none (InvalidInput naming the rows)."""
    if not items:
        raise InvalidInput("请至少选择一件建议并填写主办单位。", field="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一次最多交办 {MAX_ITEMS} 件。", field="items")
    checked = await _check(engine, session_id, items)
    return [await engine.perform(number, "assign", actor, params) for number, params in checked]


def _check_due(engine: Engine, due) -> None:
    """The same bounds as assign's guards (after today, within deadlines.reply_max), checked before any is assigned."""
    if due is None:
        return
    today = engine.clock()
    latest = due_date(today, engine.settings.deadlines.reply_max).due
    if not today < due <= latest:
        raise InvalidInput(f"答复期限应晚于今天、不晚于 {latest:%Y-%m-%d}。", field="due_date")


async def _check(engine: Engine, session_id: int, items: Sequence[Mapping[str, Any]]) -> list[tuple[str, dict]]:
    problems, checked, seen = [], [], set()
    async with engine.db.read() as session:
        active = set((await session.execute(select(Unit.code).where(Unit.active.is_(True)))).scalars())
        for row, item in enumerate(items, 1):
            number = str(item.get("number") or "").strip() if isinstance(item, Mapping) else ""
            where = f"第 {row} 行（{number or '未填编号'}）"
            try:
                if not number:
                    raise InvalidInput("请写明建议编号。", field="number")
                if number in seen:
                    raise InvalidInput("同一件建议列了两次。", field="number")
                seen.add(number)
                proposal = await repo.proposal_by_ref(session, number)
                if proposal is None or proposal.session_id != session_id:
                    raise InvalidInput("不是本次会议的建议。", field="number")
                if proposal.state != "accepted":
                    raise InvalidInput("不是“已立案待交办”的建议。", field="number")
                raw = {k: item.get(k) for k in ("lead_units", "co_units", "due_date") if item.get(k) not in (None, "")}
                params = clean_params("assign", raw, engine.settings.workflow.categories)
                unknown = [c for c in [*params["lead_units"], *params.get("co_units", [])] if c not in active]
                if unknown:
                    raise InvalidInput(f"单位代码 {'、'.join(unknown)} 不在承办单位名册中（或已停用）。", field="lead_units")
                if set(params["lead_units"]) & set(params.get("co_units", [])):
                    raise InvalidInput("同一单位不能既主办又协办。", field="co_units")
                _check_due(engine, params.get("due_date"))
                checked.append((number, params))
            except InvalidInput as exc:
                problems.append(f"{where}：{exc.message}")
    if problems:
        raise InvalidInput("没有交办任何建议，请改正后重新提交：" + "；".join(problems[:20])
                           + ("……" if len(problems) > 20 else ""), field="items", rows=problems)
    return checked
