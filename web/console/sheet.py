"""The printable 交办单 (assignment sheet) of one unit's share, with the unit's link as a QR code (SVG
drawn here by segno, nothing loaded from elsewhere) and print CSS for A4."""
from __future__ import annotations

import segno
from aiohttp import web
from markupsafe import Markup

from storage import repositories as repo
from web.forms import path_id
from web.json_shapes import assignment_dict, deputy_contact, unit_link
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, refuse, render, require
from workflow.domain.definition import HANDLING_ROLES, ROLES, SUPERSEDED_ASSIGNMENT_STATES

DUTIES = {
    "lead": ["收到后请在签收期限内扫码签收（逐件签收）。",
             "如认为不属于本单位职责，请在申请调整期限内扫码申请调整并说明理由，逾期不予调整。",
             "办理中请与代表当面或电话沟通，并在链接中记录沟通情况；答复前须至少沟通一次。",
             "答复须经单位主要负责人签发，按 A/B/C/D 类别在答复期限内通过链接提交。"],
    "co": ["收到后请在签收期限内扫码签收（逐件签收）。",
           "如认为不属于本单位职责，请在申请调整期限内扫码申请调整并说明理由。",
           "请在协办意见期限内通过链接提交书面协办意见，送主办单位统一答复。"],
}


def qr_svg(text: str) -> Markup:
    """The QR code of `text` as inline SVG (scales with CSS: viewBox, no fixed size)."""
    svg = segno.make(text, error="m").svg_inline(scale=4, border=2, omitsize=True, title="办理链接二维码")
    return Markup(svg)


def sheet_context(settings, proposal, assignment, today) -> dict:
    """What one printed 交办单 shows (the sheet page and the 交办会's print of a whole batch)."""
    link = unit_link(settings, assignment)
    detail = assignment_dict(settings, assignment, with_link=False)
    hide_deputy = proposal.confidential and assignment.role != "lead"
    return {
        "p": proposal, "a": detail, "role": assignment.role, "link": link, "qr": qr_svg(link),
        "deputy": "（保密）" if hide_deputy else proposal.lead_deputy.name,
        # The unit contacts the deputy before replying; a confidential proposal's deputy: the lead unit only.
        "deputy_contact": None if hide_deputy else deputy_contact(proposal.lead_deputy),
        # Only confirmed co-signers are 联名代表 (one who never confirmed is not printed).
        "co_signers": [] if hide_deputy else [c.deputy.name for c in proposal.co_signers
                                              if c.confirmed_at is not None],
        "duties": DUTIES.get(assignment.role, []), "printed_on": today,
        "others": [(a.unit.name, ROLES[a.role]) for a in proposal.assignments
                   if a.id != assignment.id and a.role in HANDLING_ROLES and a.state not in SUPERSEDED_ASSIGNMENT_STATES],
    }


@require(*ACT_ROLES)
async def sheet(request: web.Request) -> web.Response:
    """GET /console/assignments/{id}/sheet."""
    settings = request.app[SETTINGS]
    async with request.app[DB].read() as session:
        assignment = await repo.assignment_by_id(session, path_id(request, "id", "找不到该交办记录。"))
        proposal = await repo.proposal_by_id(session, assignment.proposal_id) if assignment else None
        if assignment is None or proposal is None or assignment.role not in ROLES:
            return refuse(request, 404, "找不到该交办记录。", title="找不到")
        assignment = next(a for a in proposal.assignments if a.id == assignment.id)
        if assignment.state in SUPERSEDED_ASSIGNMENT_STATES:
            return refuse(request, 410, "这件建议已从该单位改派，旧的交办单作废。", title="交办单已作废")
        context = sheet_context(settings, proposal, assignment, request.app[ENGINE].clock())
    return render(request, "console/sheet.html", context)


def setup_routes(app: web.Application) -> None:
    app.router.add_get(r"/console/assignments/{id:\d+}/sheet", sheet)
