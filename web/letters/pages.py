"""The 答复函 of one reply, as a printable A4 page and as a .docx: for the unit on its link (only its own
replies; a confidential proposal's only to its lead unit) and for staff in the console."""
from __future__ import annotations

from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from storage import repositories as repo
from web import links
from web.forms import path_id
from web.keys import DB, SETTINGS
from web.letters.docx_writer import letter_docx
from web.session import refuse, require
from workflow.errors import Forbidden, NotFound
from workflow.readmodels.letters import Letter, letter_of, reply_of

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MISSING = "找不到这份答复。"


def _reply_id(request: web.Request) -> int:
    return path_id(request, "reply_id", MISSING)


async def unit_reply(request: web.Request, session):
    """(assignment, proposal, reply) of the link's own reply named in the path; NotFound / Forbidden else."""
    assignment, proposal = await links.load_assignment(request, session)
    reply = reply_of(proposal, _reply_id(request))
    if reply is None or reply.assignment_id != assignment.id:
        raise NotFound("找不到这份答复：单位链接只能打开本单位的答复函。")
    if proposal.confidential and assignment.role != "lead":  # the unit page's rule for confidential proposals
        raise Forbidden("本件为保密建议，答复函只提供给主办单位。")
    return assignment, proposal, reply


def _html(request: web.Request, letter: Letter, back: str) -> web.Response:
    context = {"l": letter, "back": back, "docx_url": request.path + ".docx"}
    response = aiohttp_jinja2.render_template("letters/letter.html", request, context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _docx(letter: Letter) -> web.Response:
    ascii_name = f"reply-letter-{letter.proposal_ref}-{letter.reply_id}.docx"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(letter.title + '.docx')}"
    return web.Response(body=letter_docx(letter), content_type=DOCX, headers={
        "Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer"})


async def _unit_letter(request: web.Request) -> Letter:
    async with request.app[DB].read() as session:
        _assignment, proposal, reply = await unit_reply(request, session)
        return letter_of(request.app[SETTINGS].names, proposal, reply)


async def unit_page(request: web.Request) -> web.Response:
    """GET /u/<token>/replies/<id>/letter."""
    return _html(request, await _unit_letter(request), back=f"/u/{request.match_info['token']}#mine")


async def unit_docx(request: web.Request) -> web.Response:
    """GET /u/<token>/replies/<id>/letter.docx."""
    return _docx(await _unit_letter(request))


async def _staff_letter(request: web.Request):
    ref = request.match_info["ref"]
    async with request.app[DB].read() as session:
        proposal = await repo.proposal_by_ref(session, ref)
        reply = reply_of(proposal, _reply_id(request)) if proposal is not None else None
        if reply is None:
            return None
        return letter_of(request.app[SETTINGS].names, proposal, reply)


@require()
async def staff_page(request: web.Request) -> web.Response:
    """GET /console/proposals/<ref>/replies/<id>/letter."""
    letter = await _staff_letter(request)
    if letter is None:
        return refuse(request, 404, MISSING, title="找不到")
    return _html(request, letter, back=f"/console/proposals/{letter.proposal_ref}")


@require()
async def staff_docx(request: web.Request) -> web.Response:
    """GET /console/proposals/<ref>/replies/<id>/letter.docx."""
    letter = await _staff_letter(request)
    if letter is None:
        return refuse(request, 404, MISSING, title="找不到")
    return _docx(letter)


async def _deputy_letter(request: web.Request) -> Letter:
    from web import feedback  # the /f/ token's checks (the deputy's own proposal)

    async with request.app[DB].read() as session:
        proposal, _actor = await feedback._load(request, session)
        reply = reply_of(proposal, _reply_id(request))
        if reply is None:
            raise NotFound(MISSING)
        return letter_of(request.app[SETTINGS].names, proposal, reply)


async def deputy_page(request: web.Request) -> web.Response:
    """GET /f/<token>/replies/<id>/letter: the deputy reads the reply as the letter the unit signs."""
    return _html(request, await _deputy_letter(request), back=f"/f/{request.match_info['token']}")


async def deputy_docx(request: web.Request) -> web.Response:
    """GET /f/<token>/replies/<id>/letter.docx."""
    return _docx(await _deputy_letter(request))


def setup_routes(app: web.Application) -> None:
    reply = r"replies/{reply_id:\d+}"
    app.router.add_get(f"/u/{{token}}/{reply}/letter", unit_page)
    app.router.add_get(f"/u/{{token}}/{reply}/letter.docx", unit_docx)
    app.router.add_get(f"/f/{{token}}/{reply}/letter", deputy_page)
    app.router.add_get(f"/f/{{token}}/{reply}/letter.docx", deputy_docx)
    app.router.add_get(f"/console/proposals/{{ref}}/{reply}/letter", staff_page)
    app.router.add_get(f"/console/proposals/{{ref}}/{reply}/letter.docx", staff_docx)
