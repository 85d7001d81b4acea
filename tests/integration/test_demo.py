"""`serve --demo`: an empty database gets a living county (every state, real events), seeded only once."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from storage import repositories as repo
from storage.models import CoSigner, Deputy, Event, OutboxMessage, Proposal, Unit, User
from workflow.demo.seed import seed_demo
from workflow.domain.definition import STATES
from workflow.domain.links import check_current, read_token
from workflow.domain.rules import Actor
from workflow.usecases.accounts import verify_password
from workflow.usecases.audit import verify_all
from workflow.usecases.rosters import add_deputy


async def _count(db, model) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_demo_on_an_empty_database_has_every_state_and_a_verified_event_log(engine, db):
    message = await seed_demo(engine)

    assert message is not None
    async with db.read() as session:
        states = set((await session.execute(select(Proposal.state))).scalars())
        key = (await session.execute(select(func.count()).where(Proposal.key_supervision))).scalar_one()
        joint = (await session.execute(select(func.count(func.distinct(CoSigner.proposal_id))))).scalar_one()
        actors = set((await session.execute(select(Event.actor_kind, Event.actor_id))).all())
    assert states == set(STATES)
    assert key >= 3 and joint >= 3
    assert await _count(db, Unit) >= 20 and await _count(db, Deputy) >= 40 and await _count(db, Proposal) >= 25
    assert {kind for kind, _ in actors} == {"staff", "unit"}
    assert ("staff", "demo") in actors
    report = await verify_all(db)  # chains intact, and every table what the events say
    assert [str(p) for p in report.problems] == [] and report.proposals == await _count(db, Proposal)
    assert await _count(db, OutboxMessage) > 0


async def test_demo_accounts_log_in_with_the_passwords_in_the_message(engine, db):
    message = await seed_demo(engine)

    assert "demo12345" in message and "admin12345" in message
    async with db.read() as session:
        users = {u.username: u for u in (await session.execute(select(User))).scalars()}
    assert users["demo"].role == "staff" and verify_password(users["demo"], "demo12345")
    assert users["admin"].role == "admin" and verify_password(users["admin"], "admin12345")


async def test_unit_link_in_the_message_opens_a_lead_assignment_that_can_reply(engine, db, settings):
    message = await seed_demo(engine)

    link = re.search(r"http://testserver/u/(\S+)", message)
    assert link is not None, message
    claim = read_token(settings.server.secret_key, link.group(1))
    async with db.read() as session:
        assignment = check_current(claim, await repo.assignment_by_id(session, claim.assignment_id))
        proposal = await repo.proposal_by_id(session, assignment.proposal_id)
        assignment = next(a for a in proposal.assignments if a.id == assignment.id)
    actor = Actor("unit", assignment.unit.code, assignment.unit.name, assignment_id=assignment.id)
    assert assignment.role == "lead"
    assert "reply" in engine.allowed_actions(proposal, actor, assignment)


async def test_second_seed_returns_none_and_adds_nothing(engine, db):
    assert await seed_demo(engine) is not None
    before = [await _count(db, model) for model in (Deputy, Unit, Proposal, Event, User, OutboxMessage)]

    assert await seed_demo(engine) is None

    assert [await _count(db, model) for model in (Deputy, Unit, Proposal, Event, User, OutboxMessage)] == before


async def test_database_with_a_real_roster_is_never_seeded(engine, db):
    await add_deputy(db, {"number": "001", "name": "真实代表"})

    assert await seed_demo(engine) is None

    assert await _count(db, Proposal) == 0 and await _count(db, Unit) == 0


async def test_demo_has_an_evaluation_meeting_of_its_key_proposals_ready_to_open(engine, db):
    from storage.models import Meeting, MeetingItem

    await seed_demo(engine)
    async with db.read() as session:
        meetings = list((await session.execute(select(Meeting))).scalars())
        items = list((await session.execute(select(MeetingItem).order_by(MeetingItem.position))).scalars())
        key = (await session.execute(select(func.count()).where(Proposal.key_supervision))).scalar_one()
    assert len(meetings) == 1 and "集中评议" in meetings[0].title
    assert len(items) == key and all(i.state == "waiting" and i.leader for i in items)


async def test_every_demo_deputy_liaison_and_the_staff_member_has_a_wechat_user(engine, db):
    """So the story's notifications reach someone: the demo's WeChat stand-in and /simulator show them."""
    from storage.models import UnitLiaison
    from workflow.demo.wechat import STAFF_OPENID, deputy_openid, liaison_openid

    await seed_demo(engine)
    async with db.read() as session:
        deputies = (await session.execute(select(Deputy.number, Deputy.openid))).all()
        liaisons = (await session.execute(select(Unit.code, UnitLiaison.openid).join(
            UnitLiaison, UnitLiaison.unit_id == Unit.id))).all()
        units = (await session.execute(select(Unit.code))).scalars().all()
        staff = (await session.execute(select(User.openid).where(User.username == "demo"))).scalar_one()
    assert all(openid == deputy_openid(number) for number, openid in deputies)
    assert sorted(liaisons) == sorted((code, liaison_openid(code)) for code in units)
    assert staff == STAFF_OPENID


async def test_the_demo_has_two_sessions_and_its_proposals_are_numbered_in_the_sitting_one(engine, db):
    from sqlalchemy import select

    from storage.models import CongressSession, Proposal
    from workflow.readmodels.sessions import sessions

    await seed_demo(engine)
    listed = await sessions(db)
    assert [row.name for row, _ in listed] == ["衡西县第十八届人民代表大会第五次会议", "衡西县第十八届人民代表大会第四次会议"]
    async with db.read() as session:
        numbered = (await session.execute(
            select(Proposal.official_number, Proposal.kind, CongressSession.number)
            .join(CongressSession, CongressSession.id == Proposal.session_id).order_by(Proposal.official_seq))).all()
    assert numbered and {(kind, n) for _, kind, n in numbered} == {("session", 5)}
    assert [official for official, _, _ in numbered][:2] == ["第1号", "第2号"]
