"""The console's livelihood projects (民生实事, /console/projects): the list by year and state, staff entering
a suggestion received from a department (or on paper), the solicitation windows (征集期) and a form to open
one; one project's page with what it says (the suggester's contact for staff), its progress reports,
inspections, vote, 测评 results, timeline, and one form per action open now.

Pages only translate: what a project allows is `allowed_actions`, every change is one `ProjectEngine` call
(workflow/engine/projects.py) with the signed-in staff member as the actor; a window is
`workflow.usecases.project_windows.add_window`. The forms are drawn from PROJECT_ACTIONS' parameters.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, Optional

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Project, ProjectWindow, Unit
from web.console.forms import ActionForm, Field
from web.forms import refuse_nul, whole_number
from web.keys import DB, ENGINE
from web.session import ACT_ROLES, can_act, redirect, refuse, render, require, user_of
from workflow.domain.definition import Param
from workflow.domain.projects import (
    EVALUATION_CHOICES,
    PROJECT_ACTIONS,
    PROJECT_STATES,
    ROUND_KINDS,
    SOURCES,
    VOTER_KINDS,
)
from workflow.engine.projects import ProjectEngine, allowed_actions
from workflow.errors import USER_ERRORS, InvalidInput, NotFound
from workflow.readmodels import projects as views
from workflow.usecases import accounts
from workflow.usecases.project_windows import add_window

STAFF_FORMS = ("edit", "merge", "promote", "start", "record_inspection", "complete", "withdraw")
ENTRY_FIELDS = ("title", "content", "source", "source_ref", "suggested_by", "year")
WINDOW_FIELDS = ("year", "opens_on", "closes_on", "note")
KEPT = 6000  # what a refused form shows again, at most, of one field
PREFILLED = ("edit", "promote")  # forms that start from the project's current values
CONFIRM = {"merge": "合并后本建议撤销，并记录合并到哪个项目，确定吗？", "withdraw": "撤销后不能再办理，确定吗？",
           "complete": "确定项目已完成吗？完成后等待年底测评。"}
HINTS = {("merge", "into"): "填写另一个征集中或候选项目的编号，如 MS2026-03。",
         ("promote", "screening_note"): "政府初步筛选的意见：为什么列为候选项目、资金和实施条件等。",
         ("start", "due_date"): "责任单位第一次报告实施进展的期限（选填）。",
         ("record_inspection", "participants"): "参加视察的代表和人员。"}
PAYLOAD_LABELS = {"title": "项目名称", "source": "来源", "source_ref": "来源编号", "merged_into": "合并到",
                  "reported_on": "报告日期", "completed_on": "完成日期", "votes_for": "赞成票", "against": "反对票",
                  "abstain": "弃权票", "points": "排序得分", "round": "测评轮次", "opens_on": "开始日期"}
VALUE_LABELS = {"source": SOURCES, "round": ROUND_KINDS}
WINDOW_STATES = {"open": "征集中", "later": "未开始", "over": "已结束"}
DONE = {"suggest": "已登记民生实事建议。", "window": "已开放征集期：群众可在 /ms 提出建议，代表可在公众号回复“民生实事建议”。"}


# ------------------------------------------------------------------ the list, the entry and window forms
def _filters(query: Mapping[str, str]) -> tuple[dict, dict]:
    shown = {k: str(query.get(k, ""))[:32].strip() for k in ("state", "year")}
    used = {"state": shown["state"] if shown["state"] in PROJECT_STATES else "",
            "year": whole_number(shown["year"], 1990, 2200)}
    return shown, used


def _window_line(w: ProjectWindow, today: dt.date) -> dict:
    state = "open" if w.opens_on <= today <= w.closes_on else "later" if w.opens_on > today else "over"
    return {"year": w.year, "opens_on": w.opens_on, "closes_on": w.closes_on, "note": w.note,
            "state": state, "state_label": WINDOW_STATES[state], "created_by": w.created_by}


def _defaults(today: dt.date, open_year: Optional[int]) -> dict[str, dict]:
    year = str(open_year or today.year)
    return {"suggest": {"source": "department", "year": year},
            "window": {"year": str(today.year + 1 if today.month >= 7 else today.year),
                       "opens_on": today.isoformat(), "closes_on": (today + dt.timedelta(days=30)).isoformat()}}


async def _list_page(request: web.Request, kind: str = "", values: Optional[dict] = None, error: str = "",
                     field: str = "", status: int = 200) -> web.Response:
    shown, used = _filters(request.query)
    page = whole_number(request.query.get("page"), 1, 99999) or 1
    today = request.app[ENGINE].clock()
    async with request.app[DB].read() as session:
        rows, total = await views.listing(session, page=page, **used)
        windows = await views.windows(session)
        now = await views.open_window(session, today)
    forms = _defaults(today, now.year if now else None)
    if kind:
        forms[kind] = values or {}
    return render(request, "console/projects.html", {
        "title": "民生实事项目", "lines": [views.project_dict(p) for p in rows], "total": total, "page": page,
        "pages": max(1, -(-total // views.PAGE)), "f": shown, "states": PROJECT_STATES, "sources": SOURCES,
        "windows": [_window_line(w, today) for w in windows], "open_window": now, "forms": forms, "kind": kind,
        "error": error, "field": field, "done": DONE.get(request.query.get("done", ""), ""),
        "can_act": can_act(user_of(request))}, status=status)


@require()
async def project_list(request: web.Request) -> web.Response:
    """GET /console/projects[?year=&state=&page=]."""
    return await _list_page(request)


def _kept(posted: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    return {k: v.strip()[:KEPT] if isinstance(v := posted.get(k), str) else "" for k in names}


@require(*ACT_ROLES)
async def enter(request: web.Request) -> web.Response:
    """POST /console/projects: a suggestion received from a department (or entered from paper)."""
    form = _kept(await request.post(), ENTRY_FIELDS)
    try:
        refuse_nul(*form.values())
        year = whole_number(form["year"], 2000, 2200)
        if year is None:
            raise InvalidInput("年度应为四位数字，例如 2027。", field="year")
        result = await ProjectEngine(request.app[ENGINE]).suggest(
            accounts.actor_for(user_of(request)), {**form, "year": year})
    except USER_ERRORS as exc:
        return await _list_page(request, "suggest", form, exc.message, exc.details.get("field", ""), exc.status)
    return redirect(f"/console/projects/{result.project.number}?done=suggest")


@require(*ACT_ROLES)
async def new_window(request: web.Request) -> web.Response:
    """POST /console/projects/windows: a new 征集期."""
    form = _kept(await request.post(), WINDOW_FIELDS)
    try:
        refuse_nul(*form.values())
        await add_window(request.app[DB], form["year"], form["opens_on"], form["closes_on"], form["note"],
                         accounts.actor_for(user_of(request)))
    except USER_ERRORS as exc:
        return await _list_page(request, "window", form, exc.message, exc.details.get("field", ""), exc.status)
    return redirect("/console/projects?done=window#windows")


# ------------------------------------------------------------------ one project
def _current(project: Project) -> dict[str, str]:
    """What the edit and promote forms start from."""
    return {"title": project.title, "content": project.content, "investment": project.investment,
            "unit": project.unit.code if project.unit else "", "leader": project.leader,
            "planned_completion": project.planned_completion.isoformat() if project.planned_completion else ""}


def _field(action: str, param: Param, units: list[Unit], values: Mapping[str, Any]) -> Field:
    kept = values.get(param.name)
    base = dict(name=param.name, label=param.label.replace("（单位代码）", ""), required=param.required,
                value=kept if isinstance(kept, str) else "", hint=HINTS.get((action, param.name), ""),
                max_length=param.max_length)
    if param.kind == "unit":
        options = [("", "（请选择）")] + [(u.code, f"{u.name}（{u.code}）") for u in units]
        return Field(kind="select", options=options, **base)
    if param.kind in ("date", "int", "textarea"):
        return Field(kind=param.kind, **base)
    return Field(kind="text", **base)


def _forms(project: Project, allowed: list[str], units: list[Unit], failed: str,
           values: Mapping[str, Any]) -> list[ActionForm]:
    """One form per allowed staff action; the failed one keeps what was typed."""
    forms = []
    for action in (a for a in STAFF_FORMS if a in allowed):
        spec = PROJECT_ACTIONS[action]
        kept = values if action == failed else _current(project) if action in PREFILLED else {}
        fields = [_field(action, p, units, kept) for p in spec.params]
        forms.append(ActionForm(spec.id, spec.label, spec.description, "staff", fields, confirm=CONFIRM.get(action, "")))
    return forms


def _shown(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return VALUE_LABELS.get(key, {}).get(str(value), str(value))


def _event_line(e: dict) -> dict:
    spec = PROJECT_ACTIONS.get(e["action"])
    labels = {**({p.name: p.label.replace("（单位代码）", "") for p in spec.params} if spec else {}), **PAYLOAD_LABELS}
    details = [(labels[k], _shown(k, v)) for k, v in (e["payload"] or {}).items()
               if k in labels and v not in (None, "", [], {})]
    return {"at": e["at"], "label": e["label"], "who": e["actor_name"],
            "moved": bool(e["from_state"]) and e["from_state"] != e["to_state"],
            "from": PROJECT_STATES.get(e["from_state"], e["from_state"]),
            "to": PROJECT_STATES.get(e["to_state"], e["to_state"]), "details": details}


async def _relatives(session: AsyncSession, project: Project) -> tuple[Optional[Project], list[Project]]:
    """(the project it was merged into, the suggestions merged into it)."""
    into = await session.get(Project, project.merged_into_id) if project.merged_into_id else None
    merged = (await session.execute(select(Project).where(Project.merged_into_id == project.id)
                                    .order_by(Project.seq))).unique().scalars().all()
    return into, list(merged)


async def _context(request: web.Request, session: AsyncSession, project: Project) -> dict:
    user = user_of(request)
    allowed = allowed_actions(project, accounts.actor_for(user)) if can_act(user) else []
    units = []
    if {"edit", "promote"} & set(allowed):
        units = list((await session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))
                     .scalars())
    found = await views.details(session, project)
    into, merged = await _relatives(session, project)
    return {"p": views.project_dict(project), "d": found, "into": into, "merged": merged, "allowed": allowed,
            "units": units, "timeline": [_event_line(e) for e in found["events"]]}


async def _detail(request: web.Request, ref: str, error: str = "", failed: str = "",
                  values: Optional[Mapping[str, Any]] = None, status: int = 200) -> web.Response:
    async with request.app[DB].read() as session:
        project = await views.by_ref(session, ref)
        if project is None:
            return refuse(request, 404, f"找不到编号为 {ref[:16]} 的民生实事项目，请检查编号。", title="找不到")
        found = await _context(request, session, project)
        forms = _forms(project, found.pop("allowed"), found.pop("units"), failed, values or {})
    done = request.query.get("done", "")
    if done in STAFF_FORMS:
        done = f"已完成：{PROJECT_ACTIONS[done].label}"
    else:
        done = DONE["suggest"] if done == "suggest" else ""
    return render(request, "console/project.html", {
        **found, "title": f"民生实事 {found['p']['number']}", "forms": forms, "error": error, "failed": failed,
        "failed_shown": any(f.id == failed for f in forms), "done": done, "can_act": can_act(user_of(request)),
        "rounds": ROUND_KINDS, "voters": VOTER_KINDS, "choices": EVALUATION_CHOICES}, status=status)


@require()
async def show(request: web.Request) -> web.Response:
    """GET /console/projects/{number}: the number (MS2026-03) or the id."""
    return await _detail(request, request.match_info["number"])


@require(*ACT_ROLES)
async def act(request: web.Request) -> web.Response:
    """POST /console/projects/{number}/act: one allowed action through ProjectEngine as the staff member."""
    ref, form = request.match_info["number"], await request.post()
    action = form.get("action")
    if not isinstance(action, str) or action not in STAFF_FORMS:
        return await _detail(request, ref, error="请选择要办理的操作。", status=400)
    names = [p.name for p in PROJECT_ACTIONS[action].params]
    raw = {n: form[n] for n in names if isinstance(form.get(n), str) and form[n].strip()}
    try:
        result = await ProjectEngine(request.app[ENGINE]).perform(ref, action, accounts.actor_for(user_of(request)),
                                                                  raw)
    except USER_ERRORS as exc:  # a missing project itself is a 404 page (_detail); a wrong merge target, bad input
        kept = {k: str(v)[:KEPT] for k, v in form.items() if isinstance(v, str)}
        return await _detail(request, ref, error=exc.message, failed=action, values=kept,
                             status=400 if isinstance(exc, NotFound) else exc.status)
    return redirect(f"/console/projects/{result.project.number}?done={action}")


def setup_routes(app: web.Application) -> None:
    number = r"{number:(?:[Mm][Ss][0-9]{4}-[0-9]{1,4}|[0-9]{1,9})}"  # leaves /console/projects/ballot etc. to others
    app.router.add_get("/console/projects", project_list)
    app.router.add_post("/console/projects", enter)
    app.router.add_post("/console/projects/windows", new_window)
    app.router.add_get(f"/console/projects/{number}", show)
    app.router.add_post(f"/console/projects/{number}/act", act)
