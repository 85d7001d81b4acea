"""What an action leaves besides its effect's rows: the facts of the assignments it changed (for its
event, which audit verify checks the tables against) and its outbox rows (one per notification)."""
from __future__ import annotations

from typing import Any, Optional

from storage.models import Event, OutboxMessage, Proposal
from workflow.domain.notifications import notifications_for
from workflow.domain.rules import Context
from workflow.domain.sessions import official_label


def assignment_facts(proposal: Proposal, before: dict[Optional[int], tuple]) -> dict:
    """What the action did to the assignments, for the event (audit verify checks the table against it):
    the shares it created, in order, and the state or reply due date it changed of the others."""
    facts: dict[str, Any] = {}
    created = [a for a in proposal.assignments if a.id is None or a.id not in before]
    if created:
        facts["new_assignments"] = [{"unit": a.unit.code, "role": a.role, "reply_due": a.reply_due} for a in created]
    changes = {}
    for a in proposal.assignments:
        if a.id in before and a.id is not None:
            change = {name: now for name, was, now in (("state", before[a.id][0], a.state),
                                                       ("reply_due", before[a.id][1], a.reply_due)) if was != now}
            if change:
                changes[str(a.id)] = change
    if changes:
        facts["assignment_changes"] = changes
    return facts


def outbox_rows(ctx: Context, event: Event) -> list[OutboxMessage]:
    """One row per (template, recipient) the routing table names, each with its idempotency key."""
    rows, seen = [], set()
    for kind, (recipient_kind, recipient_id) in notifications_for(ctx, event):
        key = f"p{event.proposal_id}:{event.seq}:{kind}:{recipient_kind}:{recipient_id}"
        if key in seen:
            continue
        seen.add(key)
        rows.append(OutboxMessage(
            event=event, kind=kind, recipient_kind=recipient_kind, recipient_id=recipient_id,
            idempotency_key=key,
            payload={"proposal_id": ctx.proposal.id, "number": ctx.proposal.number, "title": ctx.proposal.title,
                     "official": official_label(ctx.proposal),
                     "action": event.action, "state": event.to_state,
                     "assignment_id": event.assignment_id, "facts": event.payload},
        ))
    return rows
