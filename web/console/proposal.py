"""One proposal in the console: its facts, its history as a timeline, its units and their links, and
a form for each action open now, the proposals handled with it (并案办理); paper proposals entered for a
deputy, checked against similar ones (查重) before saving if staff ask; unit links revoked and re-issued.
"""
from __future__ import annotations

from typing import Any, Mapping

from aiohttp import web
from sqlalchemy import select

from storage import repositories as repo
from storage.models import Deputy, Unit
from web import media, opinion_form
from web.console.forms import GROUPS, FormContext, build_forms, raw_params
from web.forms import path_id
from web.json_shapes import proposal_detail
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, can_act, redirect, refuse, render, require, user_of
from workflow.domain.cosigners import candidate_label, resolve_co_signers, split_names
from workflow.domain.definition import ACTIONS, RATINGS, REPLY_CATEGORIES, STATES
from workflow.domain.similarity import WARN_THRESHOLD
from workflow.errors import USER_ERRORS, NotFound
from workflow.readmodels import desk, handling_groups, letters, meeting_results
from workflow.readmodels.opinions import carried_by
from workflow.readmodels.similar import drafting_hints, similar
from workflow.readmodels.unit_suggestions import suggest_units
from workflow.usecases import accounts
from workflow.usecases.links import reissue_link

ACTOR_KINDS = {"deputy": "代表", "staff": "工作人员", "unit": "承办单位", "system": "系统", "cli": "命令行"}
EXTRA_LABELS = {"reply_due": "答复期限", "sign_due": "签收期限", "unit": "单位",
                "to_unit": "改派给", "number": "编号", "title": "标题", "co_signers": "联名代表",
                "key_proposed": "两次不满意，建议列为重点督办", "previous_due": "原答复期限",
                "reply_category": "所评答复类别", "advised_by": "提出意见", "on_time": "按期答复",
                "meeting": "评议会议", "deputy_result": "代表评分", "public_result": "群众评分",
                "link_version": "新链接版本", "decision_due": "调整申请处理期限", "requested_due": "申请延至",
                "current_due": "申请时的答复期限", "swapped": "主办、协办对调", "kept_as_co": "原主办单位改为协办",
                "settled_request": "同时答复了单位的延期申请",
                "signer_title": "签发人职务", "sha256": "文件 SHA-256", "size": "字节数", "filename": "文件名"}
HIDDEN_KEYS = {"deputy", "on_behalf_of"}
DONE_LABELS = {"link": "已作废旧链接并生成新链接，请把新链接发给承办单位。", "created": "建议已录入。",
               "opinions": "已由群众意见形成建议草稿，请代表修改后提交。"}


# ------------------------------------------------------------------ the proposal page
async def _page(request: web.Request, ref: str, error: str = "", failed: str = "",
                values: Mapping[str, Any] | None = None, status: int = 200) -> web.Response:
    engine, settings, user = request.app[ENGINE], request.app[SETTINGS], user_of(request)
    async with request.app[DB].read() as session:
        proposal = await repo.proposal_by_ref(session, ref)
        if proposal is None:
            return refuse(request, 404, f"找不到建议 {ref}。", title="找不到")
        events = await repo.events_of(session, proposal.id)
        allowed = engine.allowed_actions(proposal, accounts.actor_for(user)) if can_act(user) else []
        detail = proposal_detail(settings, proposal, events, allowed)
        roster = list((await session.execute(
            select(Unit).where(Unit.active.is_(True)).order_by(Unit.code))).scalars())
        photos = await repo.attachments_of(session, proposal.id)
        names = _names(proposal)
        meeting_scores = await meeting_results.proposal_scores(session, proposal.id)
        sealed = await letters.sealed_of(session, [r.id for r in proposal.replies])  # 盖章答复函
        carried = await carried_by(session, proposal.id)  # 所载群众意见
        related = await _related(session, proposal, allowed)  # 类似建议, and the units they went to
        group = await handling_groups.group_for_staff(session, proposal)  # 并案办理: the lead and the others
        forms = build_forms(allowed, FormContext(proposal, settings, engine.clock(), roster, values or {}), failed)
    done = request.query.get("done", "")
    return render(request, "console/proposal.html", {
        "p": detail, "forms": forms, "groups": GROUPS, "timeline": [_event_line(e, names) for e in detail["events"]],
        "photos": [{"url": media.url_of(ph), "status": media.status_of(ph), "sha256": ph.sha256} for ph in photos], "error": error, "failed": failed, "states": STATES,
        "done": ACTIONS[done].label if done in ACTIONS else DONE_LABELS.get(done, ""),
        "can_act": can_act(user), "meeting_scores": meeting_scores, "sealed": sealed,
        "carried": carried, "group": group, **related}, status=status)


async def _related(session, proposal, allowed: list[str]) -> dict:
    """类似建议 of this year and last (submitted proposals), and at 交办 the units that handled similar ones."""
    found = await similar(session, proposal.content, title=proposal.title, years=(proposal.year, proposal.year - 1),
                          exclude=proposal.number, limit=3) if proposal.number else []
    suggested = await suggest_units(session, proposal) if "assign" in allowed else None
    return {"similar_items": found, "warn": WARN_THRESHOLD, "suggested": suggested.as_dict() if suggested else None}


def _names(proposal) -> dict[str, str]:
    """Deputy numbers and unit codes of this proposal, with the names people know them by."""
    names = {proposal.lead_deputy.number: proposal.lead_deputy.name}
    names.update({c.deputy.number: c.deputy.name for c in proposal.co_signers})
    names.update({a.unit.code: a.unit.name for a in proposal.assignments})
    return names


def _event_line(e: dict, names: dict[str, str]) -> dict:
    """One timeline entry: who did what, for whom, from which state to which, with what."""
    actor = e["actor"]
    who = actor["name"] or names.get(actor["id"], actor["id"])
    behalf = e["on_behalf_of"]
    details = []
    params = {p.name: p.label for p in ACTIONS[e["action"]].params} if e["action"] in ACTIONS else {}
    for key, value in (e["payload"] or {}).items():
        label = params.get(key) or EXTRA_LABELS.get(key)
        shown = (label, _shown(key, value, names)) if label else None
        # due_date (as typed) and reply_due (as computed) say the same when no date was typed: once is enough.
        if shown and key not in HIDDEN_KEYS and value not in (None, "", []) and shown not in details:
            details.append(shown)
    return {"at": e["at"], "label": e["label"], "who": who, "kind": ACTOR_KINDS.get(actor["kind"], actor["kind"]),
            "behalf": names.get(behalf["id"], behalf["id"]) if behalf else "",
            "moved": e["from"] != e["to"] and e["from"] != "",
            "from": STATES.get(e["from"], e["from"]), "to": STATES.get(e["to"], e["to"]), "details": details}


def _shown(key: str, value: Any, names: dict[str, str]) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(names.get(str(v), str(v)) for v in value)
    text = str(value)
    if key in ("rating", "implementation_rating", "attitude"):
        return RATINGS.get(text, text)
    if key in ("category", "reply_category") and text in REPLY_CATEGORIES:
        return f"{text} 类：{REPLY_CATEGORIES[text]}"
    if key in ("unit", "to_unit"):
        return names.get(text, text)
    return text


@require()
async def show(request: web.Request) -> web.Response:
    """GET /console/proposals/{ref}."""
    return await _page(request, request.match_info["ref"])


@require(*ACT_ROLES)
async def act(request: web.Request) -> web.Response:
    """POST /console/proposals/{ref}/actions: any allowed action, through Engine.perform as the staff member."""
    ref = request.match_info["ref"]
    form = await request.post()
    action = form.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        return await _page(request, ref, error="请选择要办理的操作。", status=400)
    try:
        result = await request.app[ENGINE].perform(ref, action, accounts.actor_for(user_of(request)),
                                                   raw_params(action, form))
    except NotFound as exc:
        return refuse(request, 404, exc.message, title="找不到")
    except USER_ERRORS as exc:
        return await _page(request, ref, error=exc.message, failed=action, values=form, status=exc.status)
    return redirect(f"/console/proposals/{result.proposal.ref}?done={action}#top")


@require()
async def opinion_sheet(request: web.Request) -> web.Response:
    """GET /console/proposals/{ref}/opinion-form: the 征询意见表 to print, blank or as the deputy rated."""
    async with request.app[DB].read() as session:
        proposal = await repo.proposal_by_ref(session, request.match_info["ref"])
    if proposal is None:
        return refuse(request, 404, f"找不到建议 {request.match_info['ref']}。", title="找不到")
    return opinion_form.render(request, proposal, back=f"/console/proposals/{proposal.ref}")


@require(*ACT_ROLES)
async def revoke_link(request: web.Request) -> web.Response:
    """POST /console/assignments/{id}/revoke-link: the unit's old links stop working, a new one is shown."""
    async with request.app[DB].read() as session:
        assignment = await repo.assignment_by_id(session, path_id(request, "id", "找不到该交办记录。"))
        proposal = await repo.proposal_by_id(session, assignment.proposal_id) if assignment else None
    if assignment is None or proposal is None:
        return refuse(request, 404, "找不到该交办记录。", title="找不到")
    await reissue_link(request.app[DB], assignment.id, accounts.actor_for(user_of(request)))
    return redirect(f"/console/proposals/{proposal.ref}?done=link#assignments")


# ------------------------------------------------------------------ paper proposals (代录)
def _co_signer_problem(found) -> str:
    """Why the co-signers typed cannot be entered: a name on no roster line, or a name several deputies share."""
    if found.missing:
        listed = "、".join(f"“{t}”" for t in found.missing)
        return f"代表名册中没有找到联名代表{listed}，请检查姓名或改填代表证号。"
    if found.ambiguous:
        first = found.ambiguous[0]
        people = "、".join(candidate_label(c) for c in first.candidates)
        return f"名叫“{first.token}”的代表有 {len(first.candidates)} 位：{people}。请改填其中一位的代表证号。"
    return ""


async def _new_page(request: web.Request, values: Mapping[str, Any] | None = None, error: str = "",
                    status: int = 200, hints: list | None = None) -> web.Response:
    async with request.app[DB].read() as session:
        deputies = list((await session.execute(
            select(Deputy).where(Deputy.active.is_(True)).order_by(Deputy.number))).scalars())
    values = values or {"submit": "on"}
    return render(request, "console/proposal_new.html", {
        "deputies": deputies, "categories": request.app[SETTINGS].workflow.categories,
        "v": {k: values.get(k) for k in ("lead_deputy", "co_signers", "title", "content", "category",
                                         "confidential", "face_to_face", "submit", "origin")},
        "error": error, "checked": hints is not None, "hints": hints or []}, status=status)


@require(*ACT_ROLES)
async def new_form(request: web.Request) -> web.Response:
    """GET /console/proposals/new: enter a deputy's paper proposal."""
    return await _new_page(request)


@require(*ACT_ROLES)
async def create(request: web.Request) -> web.Response:
    """POST /console/proposals/new: Engine.create_proposal on the deputy's behalf, submitted unless unticked."""
    form = await request.post()
    text = {k: v if isinstance(v := form.get(k), str) else "" for k in
            ("lead_deputy", "co_signers", "title", "content", "category")}
    if "check" in form:  # 查重: the form again with what was typed and the similar proposals; nothing is written
        return await _checked(request, form, text["title"], text["content"])
    lead = text["lead_deputy"].strip()
    tokens = split_names(text["co_signers"])
    async with request.app[DB].read() as session:  # names or numbers, resolved as the bot does
        found = resolve_co_signers(tokens, await desk.find_deputies(session, tokens), me=lead)
    problem = _co_signer_problem(found)
    if problem:
        return await _new_page(request, form, problem, status=400)
    co_signers = [number for number, _ in found.chosen]
    try:
        result = await request.app[ENGINE].create_proposal(
            accounts.actor_for(user_of(request)), lead, text["title"], text["content"],
            text["category"], co_signers, submit=form.get("submit") == "on",
            confidential=form.get("confidential") == "on", face_to_face=form.get("face_to_face") == "on",
            origin="motion" if form.get("origin") == "motion" else "proposal")
    except USER_ERRORS as exc:
        return await _new_page(request, form, exc.message, status=exc.status)
    return redirect(f"/console/proposals/{result.proposal.ref}?done=created")


async def _checked(request: web.Request, form: Mapping[str, Any], title: str, content: str) -> web.Response:
    """The entry form with up to three similar proposals of this year and last (as the bot warns a drafting
    deputy, confidential ones included: staff see them), or a line asking for a title or content first."""
    if not (title.strip() or content.strip()):
        return await _new_page(request, form, "请先填写标题和内容，再查类似建议。", status=400)
    async with request.app[DB].read() as session:
        hints = await drafting_hints(session, title, content, request.app[ENGINE].clock().year, confidential=True)
    return await _new_page(request, form, hints=hints)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/proposals/new", new_form)
    app.router.add_post("/console/proposals/new", create)
    app.router.add_get("/console/proposals/{ref}", show)
    app.router.add_get("/console/proposals/{ref}/opinion-form", opinion_sheet)
    app.router.add_post("/console/proposals/{ref}/actions", act)
    app.router.add_post(r"/console/assignments/{id:\d+}/revoke-link", revoke_link)
