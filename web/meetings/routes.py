"""集中评议 and 测评 rounds in the console: meetings, their agenda, the voting window, and the room's screen.

Staff pages only translate: every change is one call of workflow/usecases/meetings.py with the signed-in
staff member as the actor (so the meeting's log carries their name); the public's 评分票 (ballot codes)
and the meeting's public mode are calls of workflow/usecases/meeting_ballots.py, the printed sheet
web/meetings/ballot_sheet.py. The public scoring page is web/meetings/vote.py.

A 测评 round (round_kind mid_year | year_end) is created from the same form; its agenda takes livelihood
projects by number, its codes may be 常委会组成人员's, and closing an item records the counts on the
project (workflow/usecases/meeting_rounds.py); if that fails the item still closes and the item's
“重新记入项目” (POST .../items/{item}/record) sends the same counts again.
"""
from __future__ import annotations

from typing import Optional

from aiohttp import web

from web.console.sheet import qr_svg
from web.forms import path_id, whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.meetings import vote as meeting_vote
from web.meetings.ballot_sheet import sheet_context
from web.session import ACT_ROLES, can_act, redirect, refuse, render, require, user_of
from workflow.domain import ballots
from workflow.domain.evaluation_rounds import GROUP_KEYS, MEETING_KINDS
from workflow.domain.meetings import ITEM_STATES, VOTER_KINDS
from workflow.domain.projects import EVALUATION_CHOICES
from workflow.domain.projects import VOTER_KINDS as ROUND_VOTERS
from workflow.errors import USER_ERRORS, NotFound
from workflow.readmodels import evaluation_rounds as round_views
from workflow.readmodels import meeting_ballots as ballot_views
from workflow.readmodels import meetings as meeting_views
from workflow.usecases import accounts
from workflow.usecases import meeting_ballots as ballot_service
from workflow.usecases import meeting_rounds as round_service
from workflow.usecases import meetings as service

ITEM_OPERATIONS = ("report", "up", "down", "remove", "open", "close", "record")
DONE = {"created": "会议已创建，请添加评议事项。", "add": "已列入议程。", "report": "汇报已保存。", "up": "顺序已调整。",
        "down": "顺序已调整。", "remove": "已移出议程。", "open": "已开始评议：请与会人员扫码评分。",
        "close": "已结束评议，结果已记入该建议。", "mode": "群众评分方式已保存。", "void": "已作废所选评分票。",
        "closed_round": "已结束测评，结果已记入该项目。", "record": "测评结果已记入该项目。",
        "already": "该项的测评结果已记入项目，无需重复记入。",
        "unrecorded": "已结束测评，但结果未能记入项目（原因见该项和操作记录）：请在该项点“重新记入项目”。"}


def _actor(request: web.Request):
    return accounts.actor_for(user_of(request))


def vote_url(request: web.Request, token: str) -> str:
    return f"{request.app[SETTINGS].server.public_url.rstrip('/')}/v/{token}"


def _meeting_id(request: web.Request) -> int:
    return path_id(request, "id", "找不到这次会议。")


# ------------------------------------------------------------------ the list
async def _index(request: web.Request, error: str = "", values: Optional[dict] = None, status: int = 200):
    meetings = await meeting_views.list_meetings(request.app[DB])
    today = request.app[ENGINE].clock()
    return render(request, "meetings/index.html", {
        "meetings": meetings, "error": error, "can_act": can_act(user_of(request)),
        "v": values or {"title": f"{today.year} 年重点督办建议集中评议会", "held_on": today.isoformat(),
                        "round_kind": ""},
        "meeting_kinds": MEETING_KINDS}, status=status)


@require()
async def index(request: web.Request) -> web.Response:
    """GET /meetings"""
    return await _index(request)


@require(*ACT_ROLES)
async def create(request: web.Request) -> web.Response:
    """POST /meetings: title, held_on, round_kind ("" 集中评议 | mid_year | year_end 测评)."""
    form = await request.post()
    values = {k: v if isinstance(v := form.get(k), str) else "" for k in ("title", "held_on", "round_kind")}
    try:
        meeting_id = await service.create_meeting(request.app[DB], _actor(request), values["title"],
                                                  values["held_on"], values["round_kind"][:16])
    except USER_ERRORS as exc:
        return await _index(request, exc.message, values, status=exc.status)
    return redirect(f"/meetings/{meeting_id}?done=created")


# ------------------------------------------------------------------ one meeting
async def _page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    db = request.app[DB]
    try:
        view = await meeting_views.meeting_view(db, _meeting_id(request), with_log=True)
    except NotFound as exc:
        return refuse(request, 404, exc.message, title="找不到")
    user = user_of(request)
    link = vote_url(request, view.vote_token)
    offer = round_views.project_candidates if view.is_round else meeting_views.candidates
    return render(request, "meetings/meeting.html", {
        "m": view, "vote_url": link, "qr": qr_svg(link), "error": error, "can_act": can_act(user),
        "candidates": await offer(db, view.id) if can_act(user) else [],
        "done": DONE.get(request.query.get("done", ""), ""), "kinds": VOTER_KINDS,
        "batches": await ballot_views.batches(db, view.id), "public_modes": ballots.PUBLIC_MODES,
        "vote_modes": ballots.VOTE_MODES, "open_limit_max": ballots.OPEN_LIMIT_MAX,
        "batch_max": ballots.BATCH_MAX, "ballot_kinds": ballots.BALLOT_KINDS, **_round_context()}, status=status)


def _round_context() -> dict:
    """What a 测评 round's pages show its groups with: voter kinds, their JSON keys, the choices."""
    return {"round_voters": ROUND_VOTERS, "group_keys": GROUP_KEYS, "choices": EVALUATION_CHOICES}


@require()
async def show(request: web.Request) -> web.Response:
    """GET /meetings/{id}"""
    return await _page(request)


@require(*ACT_ROLES)
async def add_item(request: web.Request) -> web.Response:
    """POST /meetings/{id}/items: proposal (its number), or project (its number, at a 测评 round)."""
    form = await request.post()
    ref = form.get("project") or form.get("proposal")
    try:
        await service.add_item(request.app[DB], _actor(request), _meeting_id(request),
                               ref.strip() if isinstance(ref, str) else "")
    except USER_ERRORS as exc:
        return await _page(request, exc.message, status=exc.status)
    return redirect(f"/meetings/{_meeting_id(request)}?done=add#agenda")


@require(*ACT_ROLES)
async def item_operation(request: web.Request) -> web.Response:
    """POST /meetings/{id}/items/{item}/{op}: report | up | down | remove | open | close | record (a closed
    测评 item's counts on its project, again)."""
    op, meeting_id, item_id = request.match_info["op"], _meeting_id(request), path_id(request, "item", "找不到这个议程事项。")
    form = await request.post()
    db, actor = request.app[DB], _actor(request)
    if op in ("close", "record"):
        return await _close_or_record(request, op, meeting_id, item_id)
    try:
        if op == "report":
            await service.save_report(db, actor, meeting_id, item_id, _text(form, "leader"), _text(form, "report"))
        elif op in ("up", "down"):
            await service.move_item(db, actor, meeting_id, item_id, op)
        elif op == "remove":
            await service.remove_item(db, actor, meeting_id, item_id)
        else:
            await service.open_item(db, actor, meeting_id, item_id)
    except USER_ERRORS as exc:
        return await _page(request, exc.message, status=exc.status)
    return redirect(f"/meetings/{meeting_id}?done={op}#item-{item_id}")


async def _close_or_record(request: web.Request, op: str, meeting_id: int, item_id: int) -> web.Response:
    """Close an item (a 测评 item's counts then go on its project), or record a closed one's counts again.
    A close whose recording failed is still a close: the page says so and offers to record again."""
    engine, actor = request.app[ENGINE], _actor(request)
    try:
        if op == "close":
            closed = await service.close_item(request.app[DB], actor, meeting_id, item_id, engine=engine)
            recording = closed.recording
        else:
            recording = await round_service.record_on_project(engine, actor, meeting_id, item_id)
    except USER_ERRORS as exc:
        return await _page(request, exc.message, status=exc.status)
    if recording is None:
        done = "close"
    elif op == "record" and not recording.ok:
        return await _page(request, recording.problem, status=recording.status)
    else:
        done = ("closed_round" if op == "close" else "record") if recording.recorded else (
            "already" if recording.already else "unrecorded")
    return redirect(f"/meetings/{meeting_id}?done={done}#item-{item_id}")


def _text(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# ------------------------------------------------------------------ the public's 评分票 and mode
@require(*ACT_ROLES)
async def print_ballots(request: web.Request) -> web.Response:
    """POST /meetings/{id}/ballots: count, kind (public | member: 常委会组成人员, at a 测评 round). Answers
    with the printable sheet, the codes' only showing."""
    form = await request.post()
    settings = request.app[SETTINGS]
    try:
        printed = await ballot_service.print_ballots(
            request.app[DB], _actor(request), _meeting_id(request),
            whole_number(_text(form, "count").strip(), 1, ballots.BATCH_MAX), settings.server.secret_key,
            kind=_text(form, "kind")[:16] or "public")
    except USER_ERRORS as exc:
        return await _page(request, exc.message, status=exc.status)
    return render(request, "meetings/ballots.html", sheet_context(printed, settings.server.public_url))


@require(*ACT_ROLES)
async def void_ballots(request: web.Request) -> web.Response:
    """POST /meetings/{id}/ballots/void: serials ("21-30, 35"), or batch (a whole printing)."""
    form = await request.post()
    batch = _text(form, "batch")
    try:
        await ballot_service.void_ballots(request.app[DB], _actor(request), _meeting_id(request),
                                          _text(form, "serials")[:ballots.SERIALS_MAX + 1],
                                          batch=whole_number(batch, 1) if batch else None)
    except USER_ERRORS as exc:
        return await _page(request, exc.message, status=exc.status)
    return redirect(f"/meetings/{_meeting_id(request)}?done=void#ballots")


@require(*ACT_ROLES)
async def public_mode(request: web.Request) -> web.Response:
    """POST /meetings/{id}/public-mode: public_mode (codes | codes_open), open_limit."""
    form = await request.post()
    try:
        await ballot_service.set_public_mode(request.app[DB], _actor(request), _meeting_id(request),
                                             _text(form, "public_mode"),
                                             whole_number(_text(form, "open_limit").strip() or "0", 0))
    except USER_ERRORS as exc:
        return await _page(request, exc.message, status=exc.status)
    return redirect(f"/meetings/{_meeting_id(request)}?done=mode#public-mode")


# ------------------------------------------------------------------ the room's screen
def _current(view: meeting_views.MeetingView) -> Optional[meeting_views.ItemView]:
    """What the screen shows: the item open now, else the one closed last, else the first waiting."""
    if view.open_item is not None:
        return view.open_item
    closed = [i for i in view.items if i.state == "closed" and i.closed_at is not None]
    if closed:
        return max(closed, key=lambda i: i.closed_at)
    return view.items[0] if view.items else None


def screen_body(view: meeting_views.MeetingView, link: str) -> dict:
    current = _current(view)
    return {"meeting": {"id": view.id, "title": view.title, "held_on": view.held_on.isoformat(),
                        "round_kind": view.round_kind},
            "vote_url": link, "current": current.id if current else None,
            "open": view.open_item.id if view.open_item else None,
            "items": [item.as_dict() for item in view.items]}


@require()
async def screen(request: web.Request) -> web.Response:
    """GET /meetings/{id}/screen: the live tally for the room's screen (refreshes itself)."""
    try:
        view = await meeting_views.meeting_view(request.app[DB], _meeting_id(request))
    except NotFound as exc:
        return refuse(request, 404, exc.message, title="找不到")
    link = vote_url(request, view.vote_token)
    return render(request, "meetings/screen.html", {
        "m": view, "current": _current(view), "vote_url": link, "qr": qr_svg(link), "kinds": VOTER_KINDS,
        "states": ITEM_STATES, **_round_context()})


@require()
async def screen_json(request: web.Request) -> web.Response:
    """GET /meetings/{id}/screen.json: what the screen polls."""
    view = await meeting_views.meeting_view(request.app[DB], _meeting_id(request))
    response = web.json_response(screen_body(view, vote_url(request, view.vote_token)))
    response.headers["Cache-Control"] = "no-store"
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/meetings", index)
    app.router.add_post("/meetings", create)
    app.router.add_get(r"/meetings/{id:\d+}", show)
    app.router.add_post(r"/meetings/{id:\d+}/items", add_item)
    app.router.add_post(r"/meetings/{id:\d+}/items/{item:\d+}/{op:(" + "|".join(ITEM_OPERATIONS) + ")}",
                        item_operation)
    app.router.add_post(r"/meetings/{id:\d+}/ballots", print_ballots)
    app.router.add_post(r"/meetings/{id:\d+}/ballots/void", void_ballots)
    app.router.add_post(r"/meetings/{id:\d+}/public-mode", public_mode)
    app.router.add_get(r"/meetings/{id:\d+}/screen", screen)
    app.router.add_get(r"/meetings/{id:\d+}/screen.json", screen_json)
    meeting_vote.setup_routes(app)
