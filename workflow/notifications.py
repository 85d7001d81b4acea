"""Who hears what: the outbox rows an action causes (rendered and sent later by `notify/`).

Recipients: ("deputy", number), ("unit", code), ("staff", "*"), ("supervisor", "*").
Payloads carry ids and short facts; texts and links are made by the sender.
"""
from __future__ import annotations

from storage.models import Event, OutboxMessage

from .rules import Context

Recipient = tuple[str, str]


def _deputies(ctx: Context, with_co_signers: bool = False) -> list[Recipient]:
    found = [("deputy", ctx.proposal.lead_deputy.number)]
    if with_co_signers:
        found += [("deputy", c.deputy.number) for c in ctx.proposal.co_signers if c.confirmed_at is not None]
    return found


def _lead_units(ctx: Context) -> list[Recipient]:
    return [("unit", a.unit.code) for a in ctx.lead_assignments()]


def _acting_unit(ctx: Context) -> list[Recipient]:
    return [("unit", ctx.assignment.unit.code)] if ctx.assignment is not None else []


STAFF: list[Recipient] = [("staff", "*")]


def recipients(ctx: Context, event: Event) -> list[tuple[str, Recipient]]:
    """(kind, recipient) pairs for one event; kind names the message template."""
    action, to = event.action, event.to_state
    out: list[tuple[str, Recipient]] = []
    add = lambda kind, targets: out.extend((kind, r) for r in targets)  # noqa: E731

    if action == "create" and ctx.proposal.co_signers:
        add("cosign_requested", [("deputy", c.deputy.number) for c in ctx.proposal.co_signers if c.confirmed_at is None])
    elif action == "request_consultation":
        add("consultation_requested", STAFF)
        add("consultation_requested", [("unit", a.unit.code) for a in ctx.proposal.assignments
                                       if a.role == "consult" and a.state == "pending"])
    elif action == "give_advice":
        add("advice_given", _deputies(ctx))
    elif action == "submit":
        add("proposal_numbered", _deputies(ctx))
        add("new_submission", STAFF)
    elif action in ("accept", "refer", "return_for_revision", "withdraw"):
        add(f"proposal_{action}", _deputies(ctx))
        if action == "withdraw":
            add("proposal_withdraw", STAFF)
    elif action == "assign":
        add("proposal_assigned", _deputies(ctx))
        add("new_assignment", [("unit", a.unit.code) for a in ctx.proposal.assignments if a.state == "pending"
                               and a.role in ("lead", "co")])
    elif action == "request_adjustment":
        add("adjustment_requested", STAFF)
    elif action == "reassign":
        add("adjustment_answered", _acting_unit(ctx))
        add("new_assignment", [("unit", event.payload["to_unit"])])
        add("proposal_reassigned", _deputies(ctx))
    elif action == "reject_adjustment":
        add("adjustment_answered", _acting_unit(ctx))
    elif action == "log_contact":
        add("unit_contacted", _deputies(ctx))
    elif action == "submit_opinion":
        add("co_opinion_received", _lead_units(ctx))
    elif action == "reply":
        add("reply_arrived", _deputies(ctx, with_co_signers=True))
    elif action == "evaluate_reply":
        add("evaluation_received", _lead_units(ctx))
        if event.payload.get("rating") == "unsatisfied":
            add("unsatisfied", STAFF)
        if to == "rehandling":
            add("rehandling_started", _deputies(ctx) + _lead_units(ctx))
        if event.payload.get("key_proposed"):
            add("key_supervision_proposed", STAFF)
    elif action == "report_progress":
        add("progress_reported", _deputies(ctx))
    elif action == "evaluate_implementation":
        add("evaluation_received", _lead_units(ctx))
        if event.payload.get("rating") == "unsatisfied":
            add("unsatisfied", STAFF)
    elif action == "mark_key":
        add("key_supervision", _deputies(ctx) + _lead_units(ctx))
    elif action == "extend_deadline":
        add("deadline_extended", _acting_unit(ctx) + _deputies(ctx))
    if to == "closed" and event.from_state != "closed":
        add("proposal_closed", _deputies(ctx, with_co_signers=True))
    return out


def outbox_rows(ctx: Context, event: Event) -> list[OutboxMessage]:
    rows, seen = [], set()
    for kind, (recipient_kind, recipient_id) in recipients(ctx, event):
        key = f"p{event.proposal_id}:{event.seq}:{kind}:{recipient_kind}:{recipient_id}"
        if key in seen:
            continue
        seen.add(key)
        rows.append(OutboxMessage(
            event=event, kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
            idempotency_key=key,
            payload={"proposal_id": ctx.proposal.id, "number": ctx.proposal.number, "title": ctx.proposal.title,
                     "action": event.action, "state": event.to_state,
                     "assignment_id": event.assignment_id, "facts": event.payload},
        ))
    return rows
