"""The demo seeds this year's livelihood projects: seven voted in out of nine candidates, at different stages,
two suggestions still solicited, all through the project engine with their chains intact."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from storage.models import Project, ProjectInspection, ProjectProgress
from workflow.demo.seed import seed_demo
from workflow.usecases.audit import verify_all


async def test_the_demo_has_seven_voted_projects_at_different_stages(engine, db):
    await seed_demo(engine)
    async with db.read() as session:
        states = Counter((await session.execute(select(Project.state))).scalars().all())
        progress = (await session.execute(select(ProjectProgress.id))).scalars().all()
        inspections = (await session.execute(select(ProjectInspection.id))).scalars().all()
    voted = states["implementing"] + states["completed"] + states["evaluated"]
    assert voted == 7 and states["voted_out"] == 2 and states["solicited"] == 2
    assert states["evaluated"] == 1 and states["completed"] == 2 and states["implementing"] == 4
    assert progress and inspections
    assert (await verify_all(db)).ok
