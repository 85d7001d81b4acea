"""The demo county's own adjustment request (县市场监管局: "建议改由县教育局主办、我局协办") can be done as asked."""
from __future__ import annotations

from sqlalchemy import select

from storage.models import Proposal
from workflow.demo.seed import STAFF, seed_demo
from workflow.usecases.audit import verify_all

TITLE = "关于规范校外培训机构收费的建议"


async def test_the_demo_adjustment_request_is_done_by_swapping_lead_and_co_unit(engine, db):
    await seed_demo(engine)
    async with db.read() as session:
        number = (await session.execute(select(Proposal.number).where(Proposal.title == TITLE))).scalar_one()
    result = await engine.perform(number, "reassign", STAFF, {"unit": "scj", "to_unit": "jyj", "keep_as_co": True})
    live = {(a.unit.code, a.role, a.state) for a in result.proposal.assignments if a.state != "reassigned"}
    assert live == {("jyj", "lead", "pending"), ("scj", "co", "pending")}
    assert result.to_state == "assigned"
    report = await verify_all(db)
    assert [str(p) for p in report.problems] == []
