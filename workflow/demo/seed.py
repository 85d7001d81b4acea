"""Demo data (演示数据) for `serve --demo`: a fictional county's units, deputies and proposals in every state.

Everything after the rosters goes through `Engine.create_proposal` and `Engine.perform`, so every
event, hash and outbox row is what the real product would have written. Seeds only an empty
database (no deputies, units or proposals) and never twice. Every demo deputy, each unit's liaison
and the demo staff member are bound to a WeChat user of their own (workflow/demo/wechat.py), so the
story's notifications reach someone and /simulator shows them.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import func, select, update

from storage import repositories as repo
from storage.models import Deputy, Proposal, Unit, UnitHead, UnitLiaison, User
from storage.uow import UnitOfWork
from workflow.demo.data import (
    DELEGATIONS,
    DEPUTY_NAMES,
    OTHER_HEADS,
    PROPOSALS,
    SHOWCASE,
    TERM,
    UNITS,
    WORK_UNITS,
    DemoProposal,
)
from workflow.demo.liaison import liaison_lines, seed_liaison
from workflow.demo.projects import seed_projects
from workflow.demo.wechat import STAFF_OPENID, deputy_openid, liaison_openid
from workflow.domain.definition import PROMISING_CATEGORIES, SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.links import make_token
from workflow.domain.rules import Actor
from workflow.domain.sessions import chinese_number
from workflow.engine.engine import ActionResult, Engine
from workflow.usecases import meetings as meeting_service
from workflow.usecases.accounts import add_user
from workflow.usecases.sessions import add_session

STAFF = Actor("staff", "demo", "演示工作人员", role="staff")
ACCOUNTS = [("demo", "staff", "demo12345", "演示工作人员"), ("admin", "admin", "admin12345", "系统管理员")]


async def seed_demo(engine: Engine) -> Optional[str]:
    """Seed the demo on an empty database; the Chinese how-to-start message, or None if not empty."""
    if not await _is_empty(engine):
        return None
    await _seed_rosters(engine)
    accounts = await _seed_accounts(engine)
    await _seed_sessions(engine)
    showcase = None
    for demo in PROPOSALS:
        result = await _play(engine, demo)
        if demo.title == SHOWCASE[0]:
            showcase = result
    await seed_liaison(engine)  # 代表联络站 "1+N" and citizens' opinions on every route
    await seed_projects(engine)  # 民生实事项目: seven voted this year, at different stages
    await _seed_meeting(engine)
    return await _message(engine, accounts, showcase)


async def _seed_sessions(engine: Engine) -> None:
    """Two sessions of the 18th congress: last one's, and the one sitting now, whose 大会建议 the story's
    proposals become (numbered 第1号, 第2号... in its own sequence; the 交办会 can assign them at once)."""
    today = engine.clock()
    for number, opens, days in ((4, today - dt.timedelta(days=330), 4), (5, today - dt.timedelta(days=1), 5)):
        await add_session(engine.db, {
            "term": 18, "number": number, "name": f"衡西县第十八届人民代表大会第{chinese_number(number)}次会议",
            "opens_on": opens, "closes_on": opens + dt.timedelta(days=days - 1)}, STAFF)


async def _seed_meeting(engine: Engine) -> None:
    """A 集中评议 meeting of the key-supervision proposals, ready to be opened item by item."""
    async with engine.db.read() as session:
        keyed = (await session.execute(select(Proposal.number).where(Proposal.key_supervision)
                                       .order_by(Proposal.id))).scalars().all()
    if not keyed:
        return
    day = (engine.clock() + dt.timedelta(days=7)).isoformat()
    meeting = await meeting_service.create_meeting(engine.db, STAFF, f"{engine.clock().year}年重点督办建议集中评议会", day)
    for number in keyed:  # each item's leading official comes from the proposal's key supervision
        await meeting_service.add_item(engine.db, STAFF, meeting, number)


async def _is_empty(engine: Engine) -> bool:
    async with engine.db.read() as session:
        for model in (Deputy, Unit, Proposal):
            if (await session.execute(select(func.count()).select_from(model))).scalar_one():
                return False
    return True


async def _seed_rosters(engine: Engine) -> None:
    async with UnitOfWork(engine.db) as session:
        units = [Unit(code=code, name=name, contact_name=contact, contact_phone=phone)
                 for code, name, contact, phone, _head in UNITS]
        session.add_all(units)
        for index, name in enumerate(DEPUTY_NAMES):
            session.add(Deputy(number=deputy_number(index), name=name, term=TERM,
                               delegation=DELEGATIONS[index % len(DELEGATIONS)],
                               work_unit=WORK_UNITS[index % len(WORK_UNITS)],
                               phone=f"1397346{index + 1:04d}", openid=deputy_openid(deputy_number(index))))
        await session.flush()
        session.add_all(UnitLiaison(unit_id=unit.id, openid=liaison_openid(unit.code)) for unit in units)
        session.add_all(UnitHead(unit_id=unit.id, title=title, name=name) for unit in units  # 签发人 (答复函)
                        for title, name in (h.split(" ", 1) for h in _heads(unit.code)))


async def _seed_accounts(engine: Engine) -> list[tuple[str, str, str]]:
    """Create the demo accounts not there yet; returns (username, password, API token) of each."""
    created = []
    for username, role, password, display in ACCOUNTS:
        async with engine.db.read() as session:
            if (await session.execute(select(User.id).where(User.username == username))).first():
                continue
        new = await add_user(engine.db, username, role, password, display)
        created.append((username, password, new.token))
    async with UnitOfWork(engine.db) as session:  # the demo staff member hears of new proposals on WeChat
        await session.execute(update(User).where(User.username == STAFF.id).values(openid=STAFF_OPENID))
    return created


def deputy_number(index: int) -> str:
    return f"18{index + 1:03d}"


def is_demo_deputy(number: str, name: str) -> bool:
    """Whether this is one of the demo county's invented deputies (the simulator plays only them)."""
    return any(number == deputy_number(i) and name == n for i, n in enumerate(DEPUTY_NAMES))


# ---------------------------------------------------------------------------- one proposal's story
async def _play(engine: Engine, demo: DemoProposal) -> ActionResult:
    result = await engine.create_proposal(
        STAFF, deputy_number(demo.lead), demo.title, demo.content, demo.category,
        [deputy_number(i) for i in demo.co_signers])
    for step in demo.steps:
        action, raw, actor = _step(engine, result, step)
        result = await engine.perform(result.proposal.ref, action, actor, raw)
    return result


def _step(engine: Engine, result: ActionResult, step: tuple) -> tuple[str, dict, Actor]:
    """A step of the story as (action, parameters, actor)."""
    verb, *args = step
    proposal = result.proposal
    if verb in _STAFF_STEPS:
        action, raw = _STAFF_STEPS[verb](proposal, *args)
        return action, raw, STAFF
    action, raw = _UNIT_STEPS[verb](engine, *args)
    return action, raw, _unit_actor(proposal, args[0])


def _unit_actor(proposal: Proposal, code: str) -> Actor:
    assignment = next(a for a in reversed(proposal.assignments) if a.unit.code == code and a.state not in SUPERSEDED_ASSIGNMENT_STATES)
    return Actor("unit", code, assignment.unit.name, assignment_id=assignment.id)


def _heads(code: str) -> list[str]:
    """The unit's registered heads, "职务 姓名": its head, and a deputy head for some."""
    return [next(head for c, _n, _c, _p, head in UNITS if c == code), *([OTHER_HEADS[code]] if code in OTHER_HEADS else [])]


def _head(code: str) -> str:
    """Who signs the story's replies: the head's name, as the unit page's 签发人 list offers it."""
    return _heads(code)[0].split(" ", 1)[1]


# Steps taken by staff (or by staff entering a deputy's paper form: 代录).
_STAFF_STEPS = {
    "consult": lambda p, unit, question: ("request_consultation", {"unit": unit, "question": question}),
    "submit": lambda p: ("submit", {}),
    "return": lambda p, reason: ("return_for_revision", {"reason": reason}),
    "refer": lambda p, reason, disposition, note: ("refer", {"reason": reason, "disposition": disposition,
                                                            "note": note}),
    "withdraw": lambda p, reason: ("withdraw", {"reason": reason, "confirm": True}),
    "accept": lambda p: ("accept", {"category": p.category}),
    "key": lambda p, leader, committee: ("mark_key", {"leader": leader, "committee": committee}),
    "assign": lambda p, leads, cos=(): ("assign", {"lead_units": list(leads), "co_units": list(cos)}),
    "rate": lambda p, rating, reason="", unit="": ("evaluate_reply", {"rating": rating, "reason": reason,
                                                                      "unit": unit}),
    "rate_impl": lambda p, rating, reason="": ("evaluate_implementation", {"rating": rating, "reason": reason}),
    "close": lambda p, reason: ("close", {"reason": reason}),
}


def _reply(engine: Engine, code: str, category: str, text: str) -> tuple[str, dict]:
    _code, name, contact, phone, _h = next(u for u in UNITS if u[0] == code)
    _LETTERS[code] = _LETTERS.get(code, 0) + 1  # the unit's letters numbered in the demo's order
    raw = {"category": category, "text": text, "signer": _head(code), "handler": contact, "handler_phone": phone,
           "doc_number": f"{name.removeprefix('县')}函〔{engine.clock().year}〕{_LETTERS[code]}号"}
    if category in PROMISING_CATEGORIES:
        raw["promise_date"] = engine.clock() + dt.timedelta(days=150 if category == "B" else 365)
    return "reply", raw


_LETTERS: dict[str, int] = {}

# Steps taken through a unit's link; the first argument is the unit's code.
_UNIT_STEPS = {
    "advise_unit": lambda e, code, advice: ("give_advice", {"advice": advice}),
    "sign": lambda e, code: ("sign", {}),
    "adjust": lambda e, code, reason: ("request_adjustment", {"reason": reason}),
    "contact": lambda e, code, method, summary: ("log_contact", {"method": method, "summary": summary}),
    "opinion": lambda e, code, text: ("submit_opinion", {"text": text}),
    "reply": _reply,
    "progress": lambda e, code, percent, text: ("report_progress", {"percent": percent, "text": text}),
}


# ---------------------------------------------------------------------------- the message
async def _message(engine: Engine, accounts: list[tuple[str, str, str]], showcase: Optional[ActionResult]) -> str:
    settings = engine.settings
    base = settings.server.public_url.rstrip("/")
    async with engine.db.read() as session:
        units = await repo.count(session, Unit)
        deputies = await repo.count(session, Deputy)
        proposals = await repo.count(session, Proposal)
    lines = [f"已写入演示数据：{units} 个承办单位、{deputies} 名代表、{proposals} 件建议（覆盖全部办理状态）。"]
    if accounts:
        logins = "；".join(f"账号 {u} 密码 {p}" for u, p, _ in accounts)
        lines.append(f"工作人员控制台：{base}/login（{logins}）")
        lines.append(f"API 令牌（{accounts[0][0]}，只显示这一次）：{accounts[0][2]}")
    if showcase is not None:
        code = SHOWCASE[1]
        async with engine.db.read() as session:
            proposal = await repo.proposal_by_ref(session, showcase.proposal.ref)
            assignment = next(a for a in proposal.assignments if a.unit.code == code and a.role == "lead")
            token = make_token(settings.server.secret_key, assignment, settings.server.link_ttl_days)
        lines.append(f"承办单位链接示例（{assignment.unit.name}办理建议 {proposal.number}《{proposal.title}》，"
                     f"现在可以答复）：")
        lines.append(f"{base}/u/{token}")
    lines += await liaison_lines(engine, base)
    return "\n".join(lines)
