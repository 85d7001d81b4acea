"""The door for citizens' opinions (群众意见): receive one, act on one, turn several into a proposal.

    opinions = OpinionEngine(engine)
    result = await opinions.receive(Actor("citizen", "", "群众"), code="K7QM3XPA", text="...", channel="qr")
    await opinions.perform(result.opinion.receipt, "refer", staff, {"unit": "jtj"})

Each call is one transaction: the rows, the event on the opinion's own chain, the outbox rows.
`to_proposal` also creates the deputy's draft through the proposal engine in the same transaction, so a
crash leaves either both or neither. Rules: workflow/domain/opinions.py; steps: opinion_steps.py.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, Deputy, DeputyCard, ProposalOpinion, Station, StationDeputy, utcnow
from storage.uow import Conflict, UnitOfWork
from workflow.domain.errors import InvalidInput, NotAllowed, NotFound
from workflow.domain.opinions import CHANNELS, ENTERED_BY
from workflow.domain.params import clean_params
from workflow.domain.rules import Actor
from workflow.engine.engine import ActionResult, Engine
from workflow.engine.opinion_steps import OpinionResult, Step, apply, record, refusal

CONFLICT = "这条意见刚刚被别人处理过，请刷新后再试。"
BUSY = "系统繁忙，请稍后再试。"
CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud and typed on a phone
RECEIPT_LENGTH = 10
MAX_TEXT = 5000
_PHONE = re.compile(r"^[0-9+\- ]{0,20}$")


def new_code(length: int = 8) -> str:
    """A code nobody can guess (代表码, 联络站码, 回执号)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


async def public_code(session: AsyncSession) -> str:
    """A code no deputy card and no station uses yet (both open /o/<code>): the one maker of 代表码 and 联络站码."""
    for _ in range(20):
        code = new_code()
        taken = (await session.execute(select(DeputyCard.deputy_id).where(DeputyCard.code == code))).first()
        taken = taken or (await session.execute(select(Station.id).where(Station.code == code))).first()
        if not taken:
            return code
    raise Conflict("生成二维码编号失败，请稍后再试。", reason="duplicate")  # 26^8 codes: not reached in practice


async def ensure_card(session: AsyncSession, deputy: Deputy) -> DeputyCard:
    """The deputy's card (亮身份), made with the defaults (personal phone hidden) when there is none yet."""
    card = await session.get(DeputyCard, deputy.id)
    if card is None:
        card = DeputyCard(deputy_id=deputy.id, code=await public_code(session), photo="", relay_phone="",
                          show_phone=False, show_work_unit=True, show_record=True, show_duty=True, published=True,
                          updated_at=utcnow())
        session.add(card)
        await session.flush()
    return card


async def card_code(session: AsyncSession, deputy: Deputy) -> str:
    """The deputy's 代表码 (the card made if there is none yet)."""
    return (await ensure_card(session, deputy)).code


async def resolve_code(session: AsyncSession, code: str) -> tuple[Optional[Deputy], Optional[Station]]:
    """The deputy (代表码) or station (联络站码) a public code opens; (None, None) when it opens nothing."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None, None
    card = (await session.execute(select(DeputyCard).where(DeputyCard.code == code))).scalar_one_or_none()
    if card is not None and card.published and card.deputy.active:
        return card.deputy, None
    station = (await session.execute(select(Station).where(Station.code == code))).scalar_one_or_none()
    if station is not None and station.active:
        return None, station
    return None, None


def _clean_contact(name: Any, phone: Any) -> tuple[str, str]:
    name = str(name or "").strip()
    phone = str(phone or "").strip()
    if len(name) > 32:
        raise InvalidInput("姓名太长（最多 32 字）。", field="citizen_name")
    if not _PHONE.match(phone):
        raise InvalidInput("电话只能填数字（可含 - 和空格），最多 20 位。", field="citizen_phone")
    return name, phone


def _clean_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("请写下您要反映的意见。", field="text")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"意见太长（最多 {MAX_TEXT} 字），请分几条提交。", field="text")
    return text


class OpinionEngine:
    def __init__(self, engine: Engine):
        self.engine, self.db, self.settings = engine, engine.db, engine.settings

    def _step(self) -> Step:
        return Step(self.settings, self.engine.clock())

    # ------------------------------------------------------------------ receive
    async def receive(self, actor: Actor, fields: Mapping[str, Any], *, openid: Optional[str] = None,
                      photos: Sequence = ()) -> OpinionResult:
        """A new opinion: from the public page (actor citizen, `code`), a deputy (bot) or staff (console)."""
        text = _clean_text(fields.get("text"))
        name, phone = _clean_contact(fields.get("citizen_name"), fields.get("citizen_phone"))
        channel = str(fields.get("channel") or ("qr" if actor.kind == "citizen" else "visit"))
        if channel not in CHANNELS:
            raise InvalidInput(f"渠道只能是：{'、'.join(CHANNELS)}。", field="channel")
        step = self._step()
        received_on = _received_on(fields.get("received_on"), step.today, actor)
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            deputy, station = await self._addressee(session, actor, fields)
            if station is None and deputy is not None:  # the station the deputy receives at, when only one
                station = await _only_station(session, deputy)
            opinion = CitizenOpinion(
                receipt=new_code(RECEIPT_LENGTH), station=station, deputy=deputy, text=text, channel=channel,
                entered_by=actor.kind if actor.kind in ENTERED_BY else "staff", received_on=received_on,
                citizen_name=name, citizen_phone=phone, citizen_openid=(openid or None),
                hide_from_units=_flag(fields.get("hide_from_units"), True), state="received", answer="",
                answered_by="", route="", rating="", rating_comment="", closed_reason="", where_to_go="",
                referrals=[], photos=list(photos))
            session.add(opinion)
            await session.flush()
            if deputy is not None:
                await card_code(session, deputy)
            payload = {"channel": channel, "entered_by": opinion.entered_by, "received_on": received_on,
                       "deputy": deputy.number if deputy else "", "station": station.code if station else "",
                       "photos": len(opinion.photos), "has_contact": bool(name or phone)}
            return await record(session, step, opinion, "receive", actor, payload, from_state="")

    async def _addressee(self, session: AsyncSession, actor: Actor, fields: Mapping[str, Any]):
        if fields.get("code"):
            deputy, station = await resolve_code(session, str(fields["code"]))
            if deputy is None and station is None:
                raise NotFound("这个二维码已失效或不存在，请扫描代表或联络站公示牌上的二维码。")
            return deputy, station
        number = actor.id if actor.kind == "deputy" else str(fields.get("deputy") or "")
        deputy = (await session.execute(select(Deputy).where(Deputy.number == number))).scalar_one_or_none() \
            if number else None
        if number and (deputy is None or not deputy.active):
            raise InvalidInput(f"代表证号 {number} 不在代表名册中。", field="deputy")
        station = None
        if fields.get("station"):
            station = await session.get(Station, _int(fields["station"], "station"))
            if station is None or not station.active:
                raise InvalidInput("找不到这个联络站或联系点。", field="station")
        if deputy is None and station is None:
            raise InvalidInput("请选择反映给哪位代表或哪个联络站。", field="deputy")
        return deputy, station

    # ------------------------------------------------------------------ act
    async def perform(self, ref: Any, action: str, actor: Actor, raw: Mapping[str, Any] | None = None) -> OpinionResult:
        """One action on the opinion `ref` (its receipt number or id)."""
        raw = dict(raw or {})
        if action == "to_proposal":
            with_ = raw.pop("with", "") or ""
            others = with_ if isinstance(with_, list) else str(with_).replace("，", " ").replace(",", " ").split()
            proposal, results = await self.to_proposal(actor, [ref, *others], raw)
            return next(r for r in results)
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            opinion = await _locked(session, ref)
            return await apply(session, self._step(), opinion, action, actor, raw)

    async def to_proposal(self, actor: Actor, refs: Sequence[Any], raw: Mapping[str, Any]
                          ) -> tuple[ActionResult, list[OpinionResult]]:
        """One draft proposal for the deputy from these opinions; each opinion records it."""
        refs = list(dict.fromkeys(str(r).strip().upper() for r in refs if str(r).strip()))
        if not refs or len(refs) > 50:
            raise InvalidInput("请选择 1 至 50 条意见。", field="with")
        step = self._step()
        async with UnitOfWork(self.db, CONFLICT, BUSY) as session:
            opinions = [await _locked(session, r) for r in refs]
            for opinion in opinions:
                why = refusal(opinion, opinion.station, "to_proposal", actor)
                if why:
                    raise NotAllowed(f"意见 {opinion.receipt}：{why}", allowed=[])
            lead = _lead_deputy(actor, opinions, raw)
            fields = clean_params("revise", {"title": raw.get("title") or _title(opinions),
                                             "content": raw.get("content") or _content(opinions),
                                             "category": raw.get("category") or ""}, self.settings.workflow.categories)
            created = await self.engine.create_in(session, actor, lead, fields)
            proposal, results = created.proposal, []
            for opinion in opinions:
                session.add(ProposalOpinion(proposal_id=proposal.id, opinion_id=opinion.id))
                opinion.proposal_id, opinion.route = proposal.id, "to_proposal"
                results.append(await record(session, step, opinion, "to_proposal", actor,
                                            {"proposal": proposal.ref, "with": [o.receipt for o in opinions]}))
            return created, results


async def _only_station(session: AsyncSession, deputy: Deputy) -> Optional[Station]:
    ids = (await session.execute(select(StationDeputy.station_id).where(StationDeputy.deputy_id == deputy.id)
                                 .limit(2))).scalars().all()
    return await session.get(Station, ids[0]) if len(ids) == 1 else None


def _lead_deputy(actor: Actor, opinions: list[CitizenOpinion], raw: Mapping[str, Any]) -> str:
    if actor.kind == "deputy":
        return actor.id
    named = str(raw.get("deputy") or "")
    if named:
        return named
    numbers = {o.deputy.number for o in opinions if o.deputy is not None}
    if len(numbers) == 1:
        return numbers.pop()
    raise InvalidInput("请指明由哪位代表提出这件建议（deputy：代表证号）。", field="deputy")


def _title(opinions: list[CitizenOpinion]) -> str:
    first = " ".join(opinions[0].text.split())
    return f"关于{first[:24]}{'…' if len(first) > 24 else ''}的建议"


def _content(opinions: list[CitizenOpinion]) -> str:
    """The draft's text: what the people said (their words only, never who they are), then room for the ask."""
    lines = [f"群众反映（共 {len(opinions)} 条）："]
    lines += [f"{i}. {' '.join(o.text.split())}" for i, o in enumerate(opinions, 1)]
    return "\n".join(lines) + "\n\n建议：\n（请代表写明具体建议）"


async def _locked(session: AsyncSession, ref: Any) -> CitizenOpinion:
    text = str(ref or "").strip().upper()
    query = select(CitizenOpinion).with_for_update(of=CitizenOpinion)  # not the outer-joined station, deputy
    if text.isdigit() and len(text) < 10:
        query = query.where(CitizenOpinion.id == int(text))
    elif text and len(text) <= 16:
        query = query.where(CitizenOpinion.receipt == text)
    else:
        raise NotFound("找不到这条意见，请检查回执号。")
    opinion = (await session.execute(query)).unique().scalar_one_or_none()
    if opinion is None:
        raise NotFound(f"找不到回执号为 {text} 的意见。")
    return opinion


def _received_on(value: Any, today: dt.date, actor: Actor) -> dt.date:
    if value in (None, "") or actor.kind == "citizen":
        return today
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput("收到日期应为日期，格式如 2026-03-08。", field="received_on") from None
    if day > today or day < today - dt.timedelta(days=366):
        raise InvalidInput("收到日期应在一年以内，且不能晚于今天。", field="received_on")
    return day


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "on", "yes", "是")


def _int(value: Any, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput("应为编号（整数）。", field=field) from None
    if not 0 < number < 2**31:
        raise InvalidInput("编号超出范围。", field=field)
    return number
