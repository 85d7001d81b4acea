"""The guards of replies and the deputy's ratings (答复、评价), as plain functions over a rules.Context.

Listed in workflow.domain.rules.GUARDS with the others; kept apart so that each module stays readable.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Mapping, Optional

from workflow.domain.definition import PROMISE_DATE_CATEGORIES, PROMISING_CATEGORIES
from workflow.domain.errors import Refusal

if TYPE_CHECKING:  # rules.py imports this module
    from workflow.domain.rules import Context


def promise_date_for_b(ctx: Context) -> Optional[str]:
    """B (正在解决或列入计划) names the date it will be solved by; C (以后解决) may, A and D do not."""
    promise = ctx.params.get("promise_date")
    category = ctx.params.get("category")
    if category in PROMISE_DATE_CATEGORIES and promise is None:
        return Refusal("B 类答复须填写承诺解决时间。", "promise_date")
    if promise is not None and category not in PROMISING_CATEGORIES:
        return Refusal("只有 B、C 类答复填写承诺解决时间。", "promise_date")
    if promise is not None and promise <= ctx.today:
        return Refusal("承诺解决时间应晚于今天。", "promise_date")
    return None


def implementation_awaits_rating(ctx: Context) -> Optional[str]:
    if not ctx.implementation_rating_open():
        return "承办单位尚未报告落实完成，承诺解决时间也未到，暂不需要评价落实情况；届时会请您评价。"
    return None


def within_rating_window(ctx: Context) -> Optional[str]:
    """A rating comes within the window (deadlines.evaluation) from the day it was asked for; after it the
    engine records 未反馈."""
    if ctx.action == "evaluate_reply":
        opened = [ctx.rating_window_start()]
    else:
        code = ctx.params.get("unit")
        opened = [a.rating_opened_on for a in ctx.implementation_rating_open() if not code or a.unit.code == code]
    dues = [d for d in (ctx.rating_due(o) for o in opened) if d is not None]
    if dues and all(ctx.today > d for d in dues):
        return f"评价期限已于 {max(dues):%Y-%m-%d} 届满，已记为未反馈，不能再评价。如有意见请联系人大工作人员。"
    return None


def percent_in_range(ctx: Context) -> Optional[str]:
    percent = ctx.params.get("percent")
    if percent is not None and not 0 <= percent <= 100:
        return Refusal("完成百分比应在 0 到 100 之间。", "percent")
    return None


def leader_for_key_supervision(ctx: Context) -> Optional[str]:
    if ctx.params.get("decision") == "key_supervision" and not str(ctx.params.get("leader") or "").strip():
        return Refusal("列为重点督办须填写领办领导。", "leader")
    return None


def reason_for_unsatisfied(ctx: Context) -> Optional[str]:
    if ctx.params.get("rating") == "unsatisfied" and not str(ctx.params.get("reason") or "").strip():
        return Refusal("选择“不满意”时请写明理由。", "reason")
    if (ctx.params.get("implementation_rating") == "unsatisfied"
            and not str(ctx.params.get("implementation_reason") or "").strip()):
        return Refusal("对落实情况选择“不满意”时请写明理由。", "implementation_reason")
    return None


# The 征询意见表's answers besides the ratings: a rating that carries any of them is a filled-in form.
OPINION_FORM_FIELDS = ("contacted", "contact_method", "opinion", "form_date")


def opinion_form_problem(params: Mapping[str, Any], separate_attitude: bool, today: dt.date) -> Optional[Refusal]:
    """What is wrong with a filled-in 征询意见表 (cleaned parameters of evaluate_reply), or None.

    With evaluation.separate_attitude on, a form rates 办理态度 as well as 办理结果 (`rating`); the short
    form of the API (a rating and a reason only) stays valid and records no attitude. Off, an attitude
    is ignored. A contact method says how the unit contacted the deputy; the form's date is not later
    than today (Beijing)."""
    filled = any(params.get(name) not in (None, "") for name in OPINION_FORM_FIELDS)
    if separate_attitude and filled and not params.get("attitude"):
        return Refusal("请评价承办单位的办理态度：满意、基本满意或不满意。", "attitude")
    method = params.get("contact_method")
    if params.get("contacted") is False and method:
        return Refusal("选择了承办单位“没有联系”，就不填联系方式。", "contact_method")
    if params.get("contacted") is True and not method:
        return Refusal("请选择承办单位与您联系的方式。", "contact_method")
    form_date = params.get("form_date")
    if form_date is not None and form_date > today:
        return Refusal(f"填表日期 {form_date:%Y-%m-%d} 晚于今天，请填写实际填表的日期。", "form_date")
    return None


def opinion_form_complete(ctx: Context) -> Optional[str]:
    return opinion_form_problem(ctx.params, ctx.separate_attitude, ctx.today)


def reply_awaits_rating(ctx: Context) -> Optional[str]:
    pending = [r for r in ctx.replies_of_latest_round() if ctx.rating_for(r) is None]
    if not pending:
        return "答复已评价过。"
    return None
