"""Forms for the actions open on a proposal, generated from the actions table (workflow/domain/definition.py).

One form per allowed action, one field per `Param`: choice -> select, category -> the settings'
categories, date -> date input (assign's due date defaulted from the deadline settings on the
working-day calendar), units -> a picker of the roster with a lead and a co-unit column, unit ->
the proposal's units. Deputy actions get `on_behalf_of` (paper forms entered by staff), unit actions
a `unit` (a unit's paper reply entered by staff). One generic handler reads them back (`raw_params`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from storage.models import Proposal, Unit
from workflow.domain.deadlines import due_date
from workflow.domain.definition import (
    ACTIONS,
    ASSIGNMENT_STATES,
    DECISIONS,
    HANDLING_ROLES,
    LIVE_ASSIGNMENT_STATES,
    RATINGS,
    REPLY_CATEGORIES,
    ROLES,
    Action,
    Param,
)
from workflow.settings import Settings

CHOICE_LABELS = {**RATINGS, **{k: f"{k} 类：{v}" for k, v in REPLY_CATEGORIES.items()}, **DECISIONS}
GROUPS = {"staff": "办理", "deputy": "代录：代表的纸质意见", "unit": "代录：承办单位的书面材料"}
CONFIRM = {"refer": "不作为代表建议处理后，不能再作为代表建议办理，确定吗？", "close": "办结后不能再办理，确定吗？",
           "return_for_revision": "确定退回代表修改吗？"}
# Yes-or-no questions of a paper form that may be left blank: 是 / 否 / 未填, not a checkbox (unticked is not 否).
YES_NO = {"contacted": [("", "（未填）"), ("true", "是"), ("false", "否")]}
# The committee's usual next steps first; the rest in the table's order.
FIRST = ["accept", "assign", "give_advice", "decide", "reassign", "reject_adjustment", "approve_extension",
         "refuse_extension", "mark_key", "extend_deadline"]


@dataclass
class Field:
    name: str
    label: str
    kind: str  # text | textarea | select | date | int | checkbox
    required: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    hint: str = ""
    max_length: int = 2000


@dataclass
class Picker:
    """The unit picker: one row per unit on the roster, one checkbox column per `units` parameter."""

    columns: list[tuple[str, str, bool]]  # (param name, label, required)
    units: list[tuple[str, str]]  # (code, name)
    selected: dict[str, set[str]]


@dataclass
class ActionForm:
    id: str
    label: str
    description: str
    group: str
    fields: list[Field]
    picker: Optional[Picker] = None
    confirm: str = ""
    picker_at: int = 0  # the picker is drawn before fields[picker_at], where its parameters stand


@dataclass
class FormContext:
    proposal: Proposal
    settings: Settings
    today: dt.date
    roster: list[Unit]  # active units
    values: Mapping[str, Any] = field(default_factory=dict)  # what was posted, when re-showing a failed form


def group_of(spec: Action) -> str:
    if "staff" in spec.actors:
        return "staff"
    return "deputy" if "deputy" in spec.actors else "unit"


def build_forms(allowed: list[str], ctx: FormContext, failed: str = "") -> list[ActionForm]:
    """The forms of the allowed actions, in the table's order; the failed one keeps what was typed."""
    forms = []
    ordered = sorted(allowed, key=lambda a: FIRST.index(a) if a in FIRST else len(FIRST))
    for action_id in ordered:
        spec = ACTIONS[action_id]
        values = ctx.values if action_id == failed else {}
        forms.append(_form(spec, ctx, values))
    return forms


def _form(spec: Action, ctx: FormContext, values: Mapping[str, Any]) -> ActionForm:
    group = group_of(spec)
    fields: list[Field] = []
    if group == "deputy":
        fields.append(_on_behalf(spec, ctx.proposal, values))
    if group == "unit" and not any(p.name == "unit" for p in spec.params):
        fields.append(_unit_field(spec, Param("unit", "承办单位", "unit"), ctx, values))
    picker_params = [p for p in spec.params if p.kind == "units"]
    picker_at = len(fields)
    for param in spec.params:
        one_rating = spec.id == "evaluate_reply" and not ctx.settings.evaluation.separate_attitude
        if one_rating and param.name == "attitude":
            continue  # one rating of the reply (evaluation.separate_attitude off)
        if param.kind != "units":
            fields.append(_field(spec, param, ctx, values))
            if one_rating and param.name == "rating":
                fields[-1].label = "对答复的评价"
        elif param is picker_params[0]:
            picker_at = len(fields)
    picker = _picker(picker_params, ctx, values) if picker_params else None
    return ActionForm(spec.id, spec.label, spec.description, group, fields, picker, CONFIRM.get(spec.id, ""),
                      picker_at)


def _value(values: Mapping[str, Any], name: str, default: Any = "") -> Any:
    value = values.get(name) if values else None
    return value if isinstance(value, str) else default


def _field(spec: Action, param: Param, ctx: FormContext, values: Mapping[str, Any]) -> Field:
    base = dict(name=param.name, label=param.label, required=param.required, max_length=param.max_length)
    if param.kind == "choice":
        options = [(c, CHOICE_LABELS.get(c, c)) for c in param.choices]
        if not param.required:
            options.insert(0, ("", "（不填）"))
        return Field(kind="select", options=options, value=_value(values, param.name), **base)
    if param.kind == "category":
        options = [(c, c) for c in ctx.settings.workflow.categories]
        return Field(kind="select", options=options, value=_value(values, param.name, ctx.proposal.category), **base)
    if param.kind == "date":
        default, hint = _date_default(spec, param, ctx)
        return Field(kind="date", value=_value(values, param.name, default), hint=hint, **base)
    if param.kind == "unit":
        return _unit_field(spec, param, ctx, values)
    if param.kind == "bool" and param.name in YES_NO:
        return Field(kind="select", options=YES_NO[param.name], value=_value(values, param.name), **base)
    if param.kind == "bool":
        return Field(kind="checkbox", value=_value(values, param.name) == "on", **base)
    kind = param.kind if param.kind in ("textarea", "int") else "text"
    # Revising a draft starts from what it says now.
    current = str(getattr(ctx.proposal, param.name, "") or "") if spec.id == "revise" else ""
    return Field(kind=kind, value=_value(values, param.name, current), **base)


def _date_default(spec: Action, param: Param, ctx: FormContext) -> tuple[str, str]:
    if spec.id == "assign" and param.name == "due_date":
        deadline = due_date(ctx.today, ctx.settings.deadlines.reply)
        limit = due_date(ctx.today, ctx.settings.deadlines.reply_max).due
        return deadline.due.isoformat(), (f"按规定默认：{deadline.explain()}。可改为更早或更晚的日期，"
                                          f"最晚不超过交办之日起 {ctx.settings.deadlines.reply_max}（{limit:%Y-%m-%d}）。")
    if spec.id in ("extend_deadline", "approve_extension"):
        return "", f"延期后的答复期限最长为交办之日起 {ctx.settings.deadlines.reply_max}。"
    if spec.id == "log_contact" and param.name == "contacted_on":
        return ctx.today.isoformat(), ""
    if spec.id == "evaluate_reply" and param.name == "form_date":
        return ctx.today.isoformat(), "代表在纸质征询意见表上填写的日期，不能晚于今天。"
    return "", ""


def _live_assignments(spec: Action, proposal: Proposal) -> list:
    live = [a for a in proposal.assignments if a.state in LIVE_ASSIGNMENT_STATES and a.role in HANDLING_ROLES]
    if spec.id in ("reassign", "reject_adjustment"):
        return [a for a in live if a.state == "adjustment_requested"]
    if spec.id in ("extend_deadline", "evaluate_reply"):
        return [a for a in live if a.role == "lead"]
    if spec.id in ("approve_extension", "refuse_extension"):  # the units whose 延期申请 waits
        return [a for a in live if a.extension_requested_due is not None]
    if spec.unit_roles:
        return [a for a in live if a.role in spec.unit_roles]
    return live


def _unit_field(spec: Action, param: Param, ctx: FormContext, values: Mapping[str, Any]) -> Field:
    on_proposal = {a.unit_id for a in ctx.proposal.assignments if a.state in LIVE_ASSIGNMENT_STATES}
    if param.name == "to_unit":
        # The proposal's co-units first: handing the lead to one of them swaps the two (主办、协办对调).
        options = [(a.unit.code, f"{a.unit.name}（本件协办单位：主办、协办对调）") for a in ctx.proposal.assignments
                   if a.role == "co" and a.state in LIVE_ASSIGNMENT_STATES]
        options += [(u.code, f"{u.name}（{u.code}）") for u in ctx.roster if u.id not in on_proposal]
    elif spec.id == "request_consultation":
        options = [(u.code, f"{u.name}（{u.code}）") for u in ctx.roster]
    else:
        options = [(a.unit.code, f"{a.unit.name}（{ROLES[a.role]}，{ASSIGNMENT_STATES[a.state]}）")
                   for a in _live_assignments(spec, ctx.proposal)]
    required = param.required or group_of(spec) == "unit"
    if not required:
        options.insert(0, ("", "（不指定）"))
    default = options[0][0] if required and len(options) == 1 else ""
    label = param.label.replace("（单位代码）", "").replace("单位代码", "单位").replace("代码", "")
    return Field(param.name, label, "select", required, options, _value(values, param.name, default),
                 max_length=param.max_length)


def _on_behalf(spec: Action, proposal: Proposal, values: Mapping[str, Any]) -> Field:
    if spec.deputy_role == "co_signer":
        # Confirming: the co-signers not confirmed yet; answering a withdrawal: the confirmed ones yet to answer.
        if spec.id == "confirm_cosign":
            waiting = [c for c in proposal.co_signers if c.confirmed_at is None]
        else:
            waiting = [c for c in proposal.co_signers
                       if c.confirmed_at is not None and getattr(c, "withdrawal_consent_at", None) is None]
        options = [(c.deputy.number, f"{c.deputy.name}（联名代表，{c.deputy.number}）") for c in waiting]
    else:
        lead = proposal.lead_deputy
        options = [(lead.number, f"{lead.name}（领衔代表，{lead.number}）")]
    default = options[0][0] if options else ""
    return Field("on_behalf_of", "代哪位代表录入", "select", True, options, _value(values, "on_behalf_of", default),
                 hint="根据代表签名的纸质材料录入，记录中会写明由您代录。")


def _picker(params: list[Param], ctx: FormContext, values: Mapping[str, Any]) -> Picker:
    getall = getattr(values, "getall", None)
    selected = {p.name: set(getall(p.name, []) if getall else values.get(p.name) or []) for p in params}
    short = {"lead_units": "主办", "co_units": "协办"}
    columns = [(p.name, short.get(p.name, p.label), p.required) for p in params]
    return Picker(columns, [(u.code, u.name) for u in ctx.roster], selected)


def raw_params(action: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """What a posted action form says, as the engine's raw parameters (the engine checks them)."""
    spec = ACTIONS[action]
    raw: dict[str, Any] = {}
    getall = getattr(form, "getall", None)
    for param in spec.params:
        if param.kind == "units":
            raw[param.name] = [v for v in (getall(param.name, []) if getall else form.get(param.name) or [])
                               if isinstance(v, str) and v.strip()]
        elif param.kind == "bool" and param.name in YES_NO:
            if form.get(param.name) in ("true", "false"):
                raw[param.name] = form[param.name] == "true"
        elif param.kind == "bool":
            raw[param.name] = form.get(param.name) == "on"
        elif isinstance(form.get(param.name), str) and form[param.name].strip():
            raw[param.name] = form[param.name]
    for extra in ("on_behalf_of", "unit"):
        if extra not in raw and isinstance(form.get(extra), str) and form[extra].strip():
            raw[extra] = form[extra]
    return raw
