"""民生实事项目票决 in the console: the printable ballot (选票) of a year's candidates, the entry of what the
tellers counted (never a ballot: the vote is anonymous) through `ProjectEngine.record_vote`, and the recorded
result. The published result for everyone is web/projects/vote_result.py (/ms/votes/<id>).

    GET  /console/projects/ballot?year=&seats=&mode=&size=&only=   the ballot, A4 or A3
    GET  /console/projects/votes/new?year=&mode=&only=&seats=      the entry form
    POST /console/projects/votes/new                               record it (staff who act)
    GET  /console/projects/votes/{id}                              the result
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from aiohttp import web
from multidict import MultiDictProxy

from web.forms import whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, can_act, redirect, refuse, render, require, user_of
from workflow.domain.projects import TALLY_MODES, VOTE_RULES
from workflow.engine.projects import ProjectEngine
from workflow.errors import USER_ERRORS, InvalidInput
from workflow.readmodels.project_votes import candidates, vote_view
from workflow.usecases import accounts

SIZES = ("A4", "A3")
NUMBERS = {"total_deputies": "全体代表人数", "present": "出席代表人数", "ballots_cast": "收回选票数",
           "seats": "应选项目数"}
FIGURES = {"approval": {"votes_for": "赞成票", "against": "反对票", "abstain": "弃权票"},
           "ranking": {"points": "排序得分"}}
KEPT = 64  # what a refused form shows again of one field


def _year(request: web.Request, raw: Optional[str] = None) -> int:
    return whole_number(request.query.get("year") if raw is None else raw, 2000, 2200) or request.app[ENGINE].clock().year


def _mode(request: web.Request, raw: Optional[str] = None) -> str:
    mode = request.query.get("mode", "") if raw is None else raw
    return mode if mode in TALLY_MODES else request.app[SETTINGS].projects.tally_mode


def _only(raw: str) -> list[str]:
    """The project numbers of a further vote (?only=MS2026-02,MS2026-03)."""
    return [n.strip().upper() for n in (raw or "").split(",") if n.strip()][:200]


@require()
async def ballot(request: web.Request) -> web.Response:
    """GET /console/projects/ballot: the year's candidates on a ballot to print."""
    year, mode = _year(request), _mode(request)
    size = request.query.get("size", "A4") if request.query.get("size") in SIZES else "A4"
    seats = whole_number(request.query.get("seats"), 1, 1000) or request.app[SETTINGS].projects.seats or None
    only = _only(request.query.get("only", ""))
    async with request.app[DB].read() as session:
        rows = await candidates(session, year, only or None)
    return render(request, "console/project_ballot.html", {
        "year": year, "mode": mode, "size": size, "sizes": SIZES, "seats": seats, "rows": rows,
        "only": ",".join(only), "further": bool(only)})


def _defaults(request: web.Request) -> dict[str, Any]:
    cfg = request.app[SETTINGS].projects
    return {"held_on": request.app[ENGINE].clock().isoformat(), "rule": request.query.get("rule", cfg.vote_rule),
            "seats": request.query.get("seats", str(cfg.seats or ""))[:KEPT]}


async def _form(request: web.Request, year: int, mode: str, only: list[str], values: dict[str, Any],
                error: str = "", field: str = "", status: int = 200) -> web.Response:
    async with request.app[DB].read() as session:
        rows = await candidates(session, year, only or None)
    return render(request, "console/project_vote_form.html", {
        "year": year, "mode": mode, "modes": TALLY_MODES, "rules": VOTE_RULES, "rows": rows,
        "figures": FIGURES[mode], "values": values, "only": ",".join(only), "error": error, "field": field,
        "can_act": can_act(user_of(request))}, status=status)


@require()
async def vote_form(request: web.Request) -> web.Response:
    """GET /console/projects/votes/new: one row per candidate of the year (or of a further vote)."""
    return await _form(request, _year(request), _mode(request), _only(request.query.get("only", "")),
                       _defaults(request))


@require(*ACT_ROLES)
async def vote_record(request: web.Request) -> web.Response:
    """POST /console/projects/votes/new: the counted totals, recorded; a refusal shows the form as typed."""
    posted = await request.post()
    year, mode = _year(request, str(posted.get("year", ""))), _mode(request, str(posted.get("mode", "")))
    only = _only(str(posted.get("only", "")))
    values = {k: str(v).strip()[:KEPT] for k, v in posted.items() if k != "csrf_token"}
    try:
        raw = _raw(posted, year, mode)
        vote, _results = await ProjectEngine(request.app[ENGINE]).record_vote(
            accounts.actor_for(user_of(request)), raw)
    except USER_ERRORS as exc:
        return await _form(request, year, mode, only, values, exc.message, str(exc.details.get("field", "")),
                           exc.status)
    return redirect(f"/console/projects/votes/{vote.id}")


def _number(posted: MultiDictProxy, name: str, label: str, low: int = 0) -> Optional[int]:
    text = str(posted.get(name, "")).strip()
    if not text:
        return None
    value = whole_number(text, low, 100000)
    if value is None:
        raise InvalidInput(f"“{label}”应为 {low} 到 100000 之间的整数。", field=name)
    return value


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _raw(posted: MultiDictProxy, year: int, mode: str) -> dict[str, Any]:
    """The engine's input from the form: a candidate's row left wholly blank is not in this vote."""
    raw: dict[str, Any] = {"year": year, "mode": mode, "rule": str(posted.get("rule", "")),
                           "held_on": str(posted.get("held_on", "")).strip()}
    if raw["held_on"] and not _is_date(raw["held_on"]):
        raise InvalidInput("表决日期应为日期，格式如 2027-01-08。", field="held_on")
    for name, label in NUMBERS.items():
        value = _number(posted, name, label, 1 if name == "total_deputies" else 0)
        if value is None and name != "seats":
            raise InvalidInput(f"请填写“{label}”。", field=name)
        if value is not None:
            raw[name] = value
    tallies = []
    for number in dict.fromkeys(str(n).strip().upper() for n in posted.getall("candidate", [])):
        cells = {key: str(posted.get(f"{key}:{number}", "")).strip() for key in FIGURES[mode]}
        if not any(cells.values()):
            continue
        row: dict[str, Any] = {"project": number}
        for key, label in FIGURES[mode].items():
            if not cells[key]:
                raise InvalidInput(f"请填写 {number} 的{label}数（没有请填 0）。", field=f"{key}:{number}")
            row[key] = _number(posted, f"{key}:{number}", f"{number} 的{label}")
        if mode == "approval" and sum(row[k] for k in FIGURES[mode]) > raw["ballots_cast"]:
            raise InvalidInput(f"{number} 的赞成、反对、弃权票之和超过收回的选票数。", field=f"votes_for:{number}")
        tallies.append(row)
    if not tallies:
        raise InvalidInput("请至少填写一个候选项目的计票结果。", field="tallies")
    raw["tallies"] = tallies
    return raw


@require()
async def vote_page(request: web.Request) -> web.Response:
    """GET /console/projects/votes/{id}: the recorded result."""
    vote_id = whole_number(request.match_info["id"], 1)
    async with request.app[DB].read() as session:
        view = await vote_view(session, vote_id) if vote_id else None
    if view is None:
        return refuse(request, 404, "找不到这次票决记录。", title="找不到")
    return render(request, "console/project_vote_result.html", {"v": view, "can_act": can_act(user_of(request))})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/projects/ballot", ballot)
    app.router.add_get("/console/projects/votes/new", vote_form)
    app.router.add_post("/console/projects/votes/new", vote_record)
    app.router.add_get(r"/console/projects/votes/{id:\d+}", vote_page)
