"""The console's holiday calendar (/console/calendar): each year's holidays and make-up days and where they
come from; staff (admin, staff) enter a year the State Council has published and the software does not
know yet; everyone signed in reads it. Saving recomputes open deadlines (workflow/usecases/calendar.py)."""
from __future__ import annotations

from aiohttp import web

from web.forms import whole_number
from web.keys import DB, ENGINE, SETTINGS
from web.session import ACT_ROLES, can_act, render, require, user_of
from workflow.domain import deadlines
from workflow.errors import USER_ERRORS
from workflow.readmodels.calendar import fallback_warning, year_view
from workflow.usecases import accounts
from workflow.usecases.calendar import FIRST_YEAR, LAST_YEAR, save_year


async def _page(request: web.Request, year: int, *, saved=None, error: str = "", rest: str | None = None,
                work: str | None = None, status: int = 200) -> web.Response:
    today = request.app[ENGINE].clock()
    calendar = deadlines.current().calendar
    entered = calendar.years("committee").get(year)
    if rest is None:
        rest = _lines(entered, "rest") if entered else ""
    if work is None:
        work = _lines(entered, "work") if entered else ""
    async with request.app[DB].read() as session:
        warning = await fallback_warning(session, request.app[SETTINGS], today)
    shown = sorted({today.year - 1, today.year, today.year + 1, year})
    return render(request, "console/calendar.html", {
        "title": "节假日", "years": [year_view(y, calendar) for y in shown], "year": year, "warning": warning,
        "rest": rest, "work": work, "saved": saved, "error": error, "can_act": can_act(user_of(request)),
        "shift": request.app[SETTINGS].deadlines.rest_day_shift}, status=status)


def _lines(entered, kind: str) -> str:
    """A year's entries as the form shows them: one line per run of consecutive days with one note."""
    days = sorted(entered.rest if kind == "rest" else entered.work)
    runs: list[list] = []
    for day in days:
        note = entered.notes.get(day, "")
        if runs and (day - runs[-1][1]).days == 1 and runs[-1][2] == note:
            runs[-1][1] = day
        else:
            runs.append([day, day, note])
    return "\n".join((f"{a:%Y-%m-%d}" if a == b else f"{a:%Y-%m-%d}~{b:%Y-%m-%d}") + (f" {n}" if n else "")
                     for a, b, n in runs)


@require()
async def calendar_page(request: web.Request) -> web.Response:
    """GET /console/calendar[?year=]: the years around today, and the form for one year."""
    today = request.app[ENGINE].clock()
    year = whole_number(request.query.get("year"), FIRST_YEAR, LAST_YEAR) or _first_unknown(today.year)
    return await _page(request, year)


def _first_unknown(this_year: int) -> int:
    calendar = deadlines.current().calendar
    return next((y for y in (this_year, this_year + 1) if not calendar.knows(y)), this_year + 1)


@require(*ACT_ROLES)
async def calendar_save(request: web.Request) -> web.Response:
    """POST /console/calendar: replace the console's entries of one year (both boxes empty: remove them)."""
    form = await request.post()
    rest, work = str(form.get("rest_days", ""))[:5000], str(form.get("work_days", ""))[:5000]
    year = whole_number(str(form.get("year", "")), FIRST_YEAR, LAST_YEAR)
    if year is None:
        today = request.app[ENGINE].clock()
        return await _page(request, today.year, error=f"请填写 {FIRST_YEAR} 至 {LAST_YEAR} 之间的年份。",
                           rest=rest, work=work, status=400)
    try:
        saved = await save_year(request.app[DB], request.app[SETTINGS], year, rest, work,
                                accounts.actor_for(user_of(request)))
    except USER_ERRORS as exc:
        return await _page(request, year, error=exc.message, rest=rest, work=work, status=exc.status)
    return await _page(request, year, saved=saved)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/console/calendar", calendar_page)
    app.router.add_post("/console/calendar", calendar_save)
