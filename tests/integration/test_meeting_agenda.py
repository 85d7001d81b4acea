"""A confidential (保密) proposal never goes on a centralized evaluation meeting's public agenda
(issue 9, item 14): the vote page /v/<token> shows each item's title to anyone in the room."""
from __future__ import annotations

import pytest

from workflow.domain.errors import InvalidInput
from workflow.domain.rules import Actor
from workflow.readmodels.meetings import candidates
from workflow.usecases import meetings
from workflow.usecases.rosters import add_deputy

STAFF = Actor("staff", "wang", "王干事", role="staff")


async def _key_proposal(engine, db, confidential: bool) -> str:
    created = await engine.create_proposal(STAFF, "D001", "关于某村土地纠纷的建议", "情况说明。", submit=True,
                                           confidential=confidential)
    number = created.proposal.number
    await engine.perform(number, "accept", STAFF, {"category": engine.settings.workflow.categories[0]})
    await engine.perform(number, "mark_key", STAFF, {"leader": "刘副县长"})
    return number


async def test_a_confidential_key_proposal_is_neither_offered_nor_accepted_for_the_agenda(engine, db):
    await add_deputy(db, {"number": "D001", "name": "张三"})
    secret = await _key_proposal(engine, db, confidential=True)
    public = await _key_proposal(engine, db, confidential=False)
    meeting = await meetings.create_meeting(db, STAFF, "重点督办建议集中评议会", "2026-12-20")
    assert [p.number for p in await candidates(db, meeting)] == [public]
    with pytest.raises(InvalidInput, match="保密"):
        await meetings.add_item(db, STAFF, meeting, secret)
    await meetings.add_item(db, STAFF, meeting, public)
