"""What the responsible unit's link of a livelihood project shows (/u/p<...>): the project as the public may
see it (never who suggested it), its progress reports with their photos, its inspections. Reads only."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectInspection, ProjectPhoto, ProjectProgress
from workflow.readmodels.projects import project_dict


async def unit_view(session: AsyncSession, project: Project) -> dict[str, Any]:
    """The project, its reports (oldest first, each with its photos' ids) and the 集中视察 records."""
    reports = (await session.execute(select(ProjectProgress).where(ProjectProgress.project_id == project.id)
                                     .order_by(ProjectProgress.id))).scalars().all()
    photos = (await session.execute(select(ProjectPhoto).where(ProjectPhoto.project_id == project.id)
                                    .order_by(ProjectPhoto.id))).scalars().all()
    by_report: dict[Optional[int], list[int]] = {}
    for photo in photos:
        by_report.setdefault(photo.progress_id, []).append(photo.id)
    inspections = (await session.execute(select(ProjectInspection).where(ProjectInspection.project_id == project.id)
                                         .order_by(ProjectInspection.day))).scalars().all()
    return {**project_dict(project, "public"),
            "progress": [{"percent": r.percent, "text": r.text, "reported_on": r.reported_on,
                          "photos": by_report.get(r.id, [])} for r in reports],
            "inspections": [{"day": i.day, "findings": i.findings} for i in inspections]}


async def photo_of(session: AsyncSession, project_id: int, photo_id: int) -> Optional[ProjectPhoto]:
    """The photo, if it belongs to the project."""
    photo = await session.get(ProjectPhoto, photo_id)
    return photo if photo is not None and photo.project_id == project_id else None
