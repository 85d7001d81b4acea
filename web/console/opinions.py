"""The console's citizens' opinions (群众意见, /console/opinions): the list with its filters, staff entering an
opinion received at a station (联络站工作人员录入), and one opinion with the citizen's contact (staff may see
it), its photos, its referrals with their unit links, the proposal carrying it, its timeline, and one form
per action open now.

Pages only translate: what an opinion allows is `allowed_actions`, every change is one `OpinionEngine`
call (workflow/engine/opinions.py) with the signed-in staff member as the actor, so the event carries
their name. The forms are drawn from the actions table (workflow/domain/opinions.py OPINION_ACTIONS).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CitizenOpinion, Deputy, Station, Unit
from web.console.forms import ActionForm, Field
from web.forms import refuse_nul, whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, can_act, redirect, refuse, render, require, user_of
from workflow.domain.deadlines import due_date
from workflow.domain.definition import RATINGS, Param
from workflow.domain.links import make_referral_token
from workflow.domain.opinions import (
    CHANNELS,
    ENTERED_BY,
    OPINION_ACTIONS,
    OPINION_STATES,
    OUT_OF_REMIT,
    REFERRAL_STATES,
    ROUTES,
    STATION_KINDS,
    parse_receipts,
)
from workflow.engine.opinion_steps import allowed_actions, receipt_path
from workflow.engine.opinions import OpinionEngine
from workflow.errors import USER_ERRORS, NotFound
from workflow.readmodels import opinions as views
from workflow.usecases import accounts

ENTRY_FIELDS = ("text", "deputy", "station", "channel", "citizen_name", "citizen_phone", "received_on")
STAFF_FORMS = ("answer", "refer", "to_proposal", "close_out_of_remit")  # in the order the page shows them
CONFIRM = {"close_out_of_remit": "确定这条意见不属于受理范围，并告知群众依法反映的途径吗？办结后不能再办理。"}
HINTS = {("to_proposal", "with"): "填写其他意见的回执号，用空格或逗号分隔；本条意见一定包括在内。",
         ("to_proposal", "title"): "不填则按第一条意见的内容生成，代表可在草稿中修改。",
         ("to_proposal", "content"): "不填则汇总所载意见的内容（不含群众姓名电话），代表可在草稿中修改。",
         ("close_out_of_remit", "where"): "不填则按所选情形告知群众依法反映的途径。"}
LEAD = Param("deputy", "提出建议的代表", "deputy", False)
ACTOR_KINDS = {"deputy": "代表", "staff": "工作人员", "unit": "承办单位", "system": "系统", "citizen": "群众"}
PAYLOAD_LABELS = {"channel": "渠道", "entered_by": "录入方式", "received_on": "收到日期", "deputy": "代表",
                  "photos": "照片", "has_contact": "留有联系方式", "unit_name": "承办单位", "due": "反馈期限",
                  "answered_by": "答复人", "on_time": "按期答复", "where": "告知的反映途径", "proposal": "形成的建议",
                  "with": "一并形成建议的意见"}
HIDDEN_PAYLOAD = {"unit", "due_date", "station", "referral"}  # said better by another key, or ids
VALUE_LABELS = {"channel": CHANNELS, "entered_by": ENTERED_BY, "rating": RATINGS}


# ------------------------------------------------------------------ the list and the entry form
def _filters(query: Mapping[str, str]) -> tuple[dict, dict]:
    """The list's filters as typed (shown again) and as the read model takes them (bad ones ignored)."""
    shown = {k: str(query.get(k, ""))[:32].strip() for k in ("state", "station", "deputy", "year")}
    used = {"state": shown["state"] if shown["state"] in OPINION_STATES else "", "deputy": shown["deputy"],
            "station": whole_number(shown["station"], 1), "year": whole_number(shown["year"], 1990, 2200)}
    return shown, used


async def _stations(session: AsyncSession) -> list[tuple[int, str]]:
    """Active stations, each followed by its points (1+N), for the entry form and the filter."""
    rows = list((await session.execute(select(Station).where(Station.active.is_(True)))).scalars())
    rows.sort(key=lambda s: (s.parent_id or s.id, s.parent_id is not None, s.name))
    return [(s.id, f"{'└ ' if s.parent_id else ''}{s.name}（{STATION_KINDS.get(s.kind, s.kind)}）") for s in rows]


async def _deputies(session: AsyncSession) -> list[Deputy]:
    return list((await session.execute(select(Deputy).where(Deputy.active.is_(True)).order_by(Deputy.number)))
                .scalars())


def _line(o: CitizenOpinion) -> dict:
    text = " ".join(o.text.split())
    where = "；".join(part for part in (f"{o.deputy.name}代表（{o.deputy.number}）" if o.deputy else "",
                                        o.station.name if o.station else "") if part)
    return {"receipt": o.receipt, "received_on": o.received_on, "where": where, "state": o.state,
            "state_label": OPINION_STATES[o.state], "route_label": ROUTES.get(o.route, ""),
            "text": text[:40] + ("…" if len(text) > 40 else "")}


async def _list_page(request: web.Request, values: Optional[dict] = None, error: str = "", field: str = "",
                     status: int = 200) -> web.Response:
    shown, used = _filters(request.query)
    page = whole_number(request.query.get("page"), 1, 99999) or 1
    async with request.app[DB].read() as session:
        rows, total = await views.listing(session, page=page, **used)
        stations = await _stations(session)
        deputies = await _deputies(session)
    today = request.app[ENGINE].clock()
    form = values if values is not None else {"channel": "visit", "received_on": today.isoformat(),
                                               "hide_from_units": True}
    return render(request, "console/opinions.html", {
        "title": "群众意见", "lines": [_line(o) for o in rows], "total": total, "page": page,
        "pages": max(1, -(-total // views.PAGE)), "f": shown, "states": OPINION_STATES, "stations": stations,
        "deputies": deputies, "channels": CHANNELS, "form": form, "error": error, "field": field,
        "today": today.isoformat(), "can_act": can_act(user_of(request))}, status=status)


@require()
async def opinion_list(request: web.Request) -> web.Response:
    """GET /console/opinions[?state=&station=&deputy=&year=&page=]: newest first."""
    return await _list_page(request)


@require(*ACT_ROLES)
async def enter(request: web.Request) -> web.Response:
    """POST /console/opinions: an opinion received at a station, entered by staff (OpinionEngine.receive)."""
    posted = await request.post()
    form: dict[str, Any] = {k: v.strip()[:10000] if isinstance(v := posted.get(k), str) else "" for k in ENTRY_FIELDS}
    fields = dict(form)
    if posted.get("hide_from_units_shown") == "1":  # the form drew the box: unticked is not posted at all
        fields["hide_from_units"] = posted.get("hide_from_units") == "on"
    form["hide_from_units"] = fields.get("hide_from_units", True)
    try:
        refuse_nul(*(form[k] for k in ENTRY_FIELDS))
        result = await OpinionEngine(request.app[ENGINE]).receive(accounts.actor_for(user_of(request)), fields)
    except USER_ERRORS as exc:
        return await _list_page(request, form, exc.message, exc.details.get("field", ""),
                                400 if isinstance(exc, NotFound) else exc.status)
    return redirect(f"/console/opinions/{result.opinion.receipt}?done=receive")


# ------------------------------------------------------------------ one opinion
def _field(action: str, param: Param, ctx: dict, values: Mapping[str, Any]) -> Field:
    kept = values.get(param.name) if values else None
    value = kept if isinstance(kept, str) else ""
    base = dict(name=param.name, label=param.label.replace("（单位代码）", ""), required=param.required,
                value=value, hint=HINTS.get((action, param.name), ""), max_length=param.max_length)
    if param.kind == "unit":
        options = [("", "（请选择）")] + [(u.code, f"{u.name}（{u.code}）") for u in ctx["units"]]
        return Field(kind="select", options=options, **base)
    if param.kind == "deputy":
        options = [("", "（按意见所反映的代表）")] + [(d.number, f"{d.name}（{d.number}）") for d in ctx["deputies"]]
        return Field(kind="select", options=options, **{**base, "hint": "意见反映给联络站、没有指明代表的，请选择由哪位代表提出。"})
    if param.kind == "choice":
        options = [("", "（请选择）")] + [(c, c) for c in param.choices]
        return Field(kind="select", options=options, **base)
    if param.kind == "date":
        deadline = due_date(ctx["today"], ctx["settings"].opinions.referral_due)
        return Field(kind="date", **{**base, "hint": f"不填则按设置：{deadline.explain()}。"})
    return Field(kind="textarea" if param.kind == "textarea" else "text", **base)


def _forms(allowed: list[str], ctx: dict, failed: str, values: Mapping[str, Any]) -> list[ActionForm]:
    """One form per allowed staff action; the failed one keeps what was typed."""
    forms = []
    for action in (a for a in STAFF_FORMS if a in allowed):
        spec = OPINION_ACTIONS[action]
        params = [*spec.params, LEAD] if action == "to_proposal" else list(spec.params)
        kept = values if action == failed else {}
        fields = [_field(action, p, ctx, kept) for p in params]
        forms.append(ActionForm(spec.id, spec.label, spec.description, "staff", fields, confirm=CONFIRM.get(action, "")))
    return forms


def _shown(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return VALUE_LABELS.get(key, {}).get(str(value), str(value))


def _event_line(e: dict) -> dict:
    """One timeline entry: who did what, from which state to which, with what (never the citizen's contact)."""
    spec = OPINION_ACTIONS.get(e["action"])
    labels = {**({p.name: p.label for p in spec.params} if spec else {}), **PAYLOAD_LABELS}
    details = [(labels[k], _shown(k, v)) for k, v in (e["payload"] or {}).items()
               if k in labels and k not in HIDDEN_PAYLOAD and v not in (None, "", []) and not (k == "photos" and not v)]
    return {"at": e["at"], "label": e["label"], "who": e["actor_name"] or ACTOR_KINDS.get(e["actor_kind"], ""),
            "kind": ACTOR_KINDS.get(e["actor_kind"], e["actor_kind"]),
            "moved": bool(e["from_state"]) and e["from_state"] != e["to_state"],
            "from": OPINION_STATES.get(e["from_state"], e["from_state"]),
            "to": OPINION_STATES.get(e["to_state"], e["to_state"]), "details": details}


async def _context(request: web.Request, session: AsyncSession, opinion: CitizenOpinion) -> dict:
    """What the opinion's page reads: the staff view, unit links, proposal, timeline, the allowed actions."""
    server, user = request.app[SETTINGS].server, user_of(request)
    o = views.opinion_dict(opinion, "staff")
    for shown, referral in zip(o["referrals"], opinion.referrals):
        shown["link"] = f"/u/{make_referral_token(server.secret_key, referral, server.link_ttl_days)}"
        shown["state_label"] = REFERRAL_STATES.get(shown["state"], shown["state"])
    proposal = await views.carrying_proposal(session, opinion)
    if proposal is not None:
        proposal["ref"] = proposal["number"] or f"d{opinion.proposal_id}"
    allowed = allowed_actions(opinion, opinion.station, accounts.actor_for(user)) if can_act(user) else []
    ctx = {"today": request.app[ENGINE].clock(), "settings": request.app[SETTINGS], "units": [], "deputies": []}
    if "refer" in allowed:
        ctx["units"] = list((await session.execute(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)))
                            .scalars())
    if "to_proposal" in allowed:
        ctx["deputies"] = await _deputies(session)
    return {"o": o, "proposal": proposal, "allowed": allowed, "ctx": ctx,
            "timeline": [_event_line(e) for e in await views.events_of(session, opinion.id)],
            "photo_ids": [p.id for p in opinion.photos], "public_path": await receipt_path(session, opinion),
            "entered_by": ENTERED_BY.get(opinion.entered_by, opinion.entered_by)}


async def _detail(request: web.Request, ref: str, error: str = "", failed: str = "",
                  values: Optional[Mapping[str, Any]] = None, status: int = 200) -> web.Response:
    async with request.app[DB].read() as session:
        opinion = await views.by_ref(session, ref)
        if opinion is None:
            return refuse(request, 404, f"找不到回执号为 {ref[:16]} 的意见，请检查回执号。", title="找不到")
        found = await _context(request, session, opinion)
    forms = _forms(found.pop("allowed"), found.pop("ctx"), failed, values or {})
    done = request.query.get("done", "")
    if done == "receive":
        done = f"已登记，回执号 {found['o']['receipt']}。请告诉群众，凭回执号可以查询办理情况。"
    elif done in OPINION_ACTIONS:
        done = f"已完成：{OPINION_ACTIONS[done].label}"
    else:
        done = ""
    return render(request, "console/opinion.html", {
        **found, "title": f"群众意见 {found['o']['receipt']}", "forms": forms, "error": error, "failed": failed,
        "failed_shown": any(f.id == failed for f in forms), "done": done, "can_act": can_act(user_of(request)),
        "out_of_remit": OUT_OF_REMIT}, status=status)


@require()
async def show(request: web.Request) -> web.Response:
    """GET /console/opinions/{ref}: ref is the receipt number or the id."""
    return await _detail(request, request.match_info["ref"])


def _raw(action: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """What a posted action form says, as the engine's raw parameters (the engine checks them)."""
    names = [p.name for p in OPINION_ACTIONS[action].params] + (["deputy"] if action == "to_proposal" else [])
    return {n: form[n] for n in names if isinstance(form.get(n), str) and form[n].strip()}


@require(*ACT_ROLES)
async def act(request: web.Request) -> web.Response:
    """POST /console/opinions/{ref}/act: one allowed action through OpinionEngine as the staff member;
    to_proposal lands on the new draft's page."""
    ref, form = request.match_info["ref"], await request.post()
    action = form.get("action")
    if not isinstance(action, str) or action not in STAFF_FORMS:
        return await _detail(request, ref, error="请选择要办理的操作。", status=400)
    raw, actor, opinions = _raw(action, form), accounts.actor_for(user_of(request)), OpinionEngine(request.app[ENGINE])
    try:
        if action == "to_proposal":
            created, _results = await opinions.to_proposal(actor, [ref, *parse_receipts(raw.pop("with", ""))], raw)
            return redirect(f"/console/proposals/{created.proposal.ref}?done=opinions")
        result = await opinions.perform(ref, action, actor, raw)
    except USER_ERRORS as exc:  # a missing opinion itself is a 404 page (_detail); a wrong other receipt, bad input
        return await _detail(request, ref, error=exc.message, failed=action, values=form,
                             status=400 if isinstance(exc, NotFound) else exc.status)
    return redirect(f"/console/opinions/{result.opinion.receipt}?done={action}")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/opinions", opinion_list)
    app.router.add_post("/console/opinions", enter)
    app.router.add_get("/console/opinions/{ref}", show)
    app.router.add_post("/console/opinions/{ref}/act", act)
