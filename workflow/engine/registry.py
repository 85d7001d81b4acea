"""The effects' registry and the small helpers every effect module shares.

An effect is registered under its action id with `@effect("id")`; workflow/engine/effects.py (the
proposal's handling) and workflow/engine/evaluation.py (replies, ratings and follow-up) fill one table.
"""
from __future__ import annotations

from workflow.domain.machine import fire_assignment
from workflow.domain.rules import Context

EFFECTS = {}


def effect(name: str):
    def register(fn):
        EFFECTS[name] = fn
        return fn
    return register


def deputy_id(ctx: Context) -> int:
    number = ctx.actor.effective_id
    if ctx.proposal.lead_deputy.number == number:
        return ctx.proposal.lead_deputy.id
    return next(c.deputy.id for c in ctx.proposal.co_signers if c.deputy.number == number)


def entered_by(ctx: Context) -> str:
    return ctx.actor.id if ctx.actor.on_behalf_kind else ""


def unit_code(ctx: Context, assignment_id: int) -> str:
    return next(a.unit.code for a in ctx.proposal.assignments if a.id == assignment_id)


def move_assignments(ctx: Context, trigger: str, which) -> None:
    saved = ctx.assignment
    for assignment in ctx.proposal.assignments:
        if which(assignment):
            ctx.assignment = assignment
            fire_assignment(ctx, trigger)
    ctx.assignment = saved
