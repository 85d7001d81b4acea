"""Who hears what, as a table: the notifications an event causes (rendered and sent later by `notify/`).

Each action lists its routes: a message template (`kind`, one of notify/texts.py's), a recipient
selector and, optionally, a condition on the event. Recipients are ("deputy", number), ("unit", code),
("staff", "*"); payloads carry ids and short facts, and the sender makes texts and links. The engine
turns the pairs into outbox rows in the action's own transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from workflow.domain.definition import HANDLING_ROLES
from workflow.domain.rules import Context

Recipient = tuple[str, str]
Event = Any  # the event just recorded: action, from_state, to_state, payload


@dataclass(frozen=True)
class Route:
    kind: str  # the message template
    to: str  # a recipient selector (SELECTORS)
    when: str = ""  # a condition (CONDITIONS); "" = always


# ---------------------------------------------------------------- recipient selectors
def _lead_deputy(ctx: Context, event: Event) -> list[Recipient]:
    return [("deputy", ctx.proposal.lead_deputy.number)]


def _all_deputies(ctx: Context, event: Event) -> list[Recipient]:
    """The lead deputy and every confirmed co-signer (a joint proposal's reply goes to each: 逐人答复)."""
    return _lead_deputy(ctx, event) + [("deputy", c.deputy.number) for c in ctx.proposal.co_signers
                                       if c.confirmed_at is not None]


def _unconfirmed_co_signers(ctx: Context, event: Event) -> list[Recipient]:
    return [("deputy", c.deputy.number) for c in ctx.proposal.co_signers if c.confirmed_at is None]


def _confirmed_co_signers(ctx: Context, event: Event) -> list[Recipient]:
    return [("deputy", c.deputy.number) for c in ctx.confirmed_co_signers()]


def _lead_units(ctx: Context, event: Event) -> list[Recipient]:
    return [("unit", a.unit.code) for a in ctx.lead_assignments()]


def _acting_unit(ctx: Context, event: Event) -> list[Recipient]:
    return [("unit", ctx.assignment.unit.code)] if ctx.assignment is not None else []


def _consulted_units(ctx: Context, event: Event) -> list[Recipient]:
    return [("unit", a.unit.code) for a in ctx.proposal.assignments if a.role == "consult" and a.state == "pending"]


def _new_units(ctx: Context, event: Event) -> list[Recipient]:
    """Units that have just been handed a share (lead or co) and not signed yet."""
    return [("unit", a.unit.code) for a in ctx.proposal.assignments
            if a.state == "pending" and a.role in HANDLING_ROLES]


def _rated_unit(ctx: Context, event: Event) -> list[Recipient]:
    """The unit the deputy's rating was about (its code is in the event's facts)."""
    code = event.payload.get("unit")
    return [("unit", code)] if code else _lead_units(ctx, event)


def _confirming_co_signer(ctx: Context, event: Event) -> list[Recipient]:
    return [("deputy", event.payload["deputy"])] if event.payload.get("deputy") else []


def _to_unit(ctx: Context, event: Event) -> list[Recipient]:
    return [("unit", event.payload["to_unit"])]


def _staff(ctx: Context, event: Event) -> list[Recipient]:
    return [("staff", "*")]


SELECTORS: dict[str, Callable[[Context, Event], list[Recipient]]] = {
    "lead_deputy": _lead_deputy, "all_deputies": _all_deputies, "unconfirmed_co_signers": _unconfirmed_co_signers,
    "confirmed_co_signers": _confirmed_co_signers,
    "lead_units": _lead_units, "acting_unit": _acting_unit, "consulted_units": _consulted_units,
    "new_units": _new_units, "to_unit": _to_unit, "staff": _staff, "acting_or_rated_unit": _rated_unit,
    "confirming_co_signer": _confirming_co_signer,
}

CONDITIONS: dict[str, Callable[[Event], bool]] = {
    "rated_unsatisfied": lambda event: event.payload.get("rating") == "unsatisfied",
    "entered_rehandling": lambda event: event.to_state == "rehandling",
    "key_proposed": lambda event: bool(event.payload.get("key_proposed")),
    "withdrawal_consent_requested": lambda event: bool(event.payload.get("consent_requested")),
    "withdrawal_still_waiting": lambda event: event.to_state != "withdrawn",
    "rating_opened": lambda event: bool(event.payload.get("rating_opened")),
    "replies_so_far": lambda event: bool(event.payload.get("replies_so_far")),
    "followup_reopened": lambda event: bool(event.payload.get("followup_due")),
}

# ---------------------------------------------------------------- the table
ROUTES: dict[str, tuple[Route, ...]] = {
    "create": (Route("cosign_requested", "unconfirmed_co_signers"),),
    "request_consultation": (Route("consultation_requested", "staff"),
                             Route("consultation_requested", "consulted_units")),
    "give_advice": (Route("advice_given", "lead_deputy"),),
    "submit": (Route("proposal_numbered", "lead_deputy"), Route("new_submission", "staff")),
    "accept": (Route("proposal_accept", "lead_deputy"),),
    "refer": (Route("proposal_refer", "all_deputies"),),
    "confirm_cosign": (Route("cosign_confirmed", "lead_deputy"),
                       Route("replies_so_far", "confirming_co_signer", when="replies_so_far")),
    "join_cosign": (Route("cosign_joined", "lead_deputy"),),
    "return_for_revision": (Route("proposal_return_for_revision", "lead_deputy"),),
    # Withdrawn at once or after the last consent: ON_ENTERING["withdrawn"] tells everyone.
    "withdraw": (Route("withdrawal_consent_requested", "confirmed_co_signers", when="withdrawal_consent_requested"),),
    "consent_withdrawal": (Route("withdrawal_consented", "lead_deputy", when="withdrawal_still_waiting"),),
    "refuse_withdrawal": (Route("withdrawal_refused", "lead_deputy"),),
    "assign": (Route("proposal_assigned", "lead_deputy"), Route("new_assignment", "new_units")),
    "request_adjustment": (Route("adjustment_requested", "staff"),),
    "reassign": (Route("adjustment_answered", "acting_unit"), Route("new_assignment", "to_unit"),
                 Route("proposal_reassigned", "lead_deputy")),
    "reject_adjustment": (Route("adjustment_answered", "acting_unit"),),
    "log_contact": (Route("unit_contacted", "lead_deputy"),),
    "submit_opinion": (Route("co_opinion_received", "lead_units"),),
    "reply": (Route("reply_arrived", "all_deputies"),),
    "evaluate_reply": (
        Route("evaluation_received", "lead_units"),
        Route("unsatisfied", "staff", when="rated_unsatisfied"),
        Route("rehandling_started", "lead_deputy", when="entered_rehandling"),
        Route("rehandling_started", "lead_units", when="entered_rehandling"),
        Route("key_supervision_proposed", "staff", when="key_proposed"),
    ),
    "report_progress": (Route("progress_reported", "lead_deputy"),
                        Route("implementation_rating_requested", "lead_deputy", when="rating_opened")),
    "answer_again": (Route("second_answer_arrived", "all_deputies"),
                     Route("implementation_rating_requested", "lead_deputy", when="rating_opened")),
    "open_implementation_rating": (Route("implementation_rating_requested", "lead_deputy"),),
    "evaluate_implementation": (Route("evaluation_received", "acting_or_rated_unit"),
                                Route("unsatisfied", "staff", when="rated_unsatisfied"),
                                Route("followup_requested", "acting_or_rated_unit", when="followup_reopened")),
    "lapse_rating": (Route("rating_lapsed", "lead_deputy"), Route("rating_lapsed", "staff")),
    "decide": (Route("decision_made", "lead_deputy"), Route("decision_made", "lead_units"),
               Route("rehandling_started", "lead_units", when="entered_rehandling")),
    "mark_key": (Route("key_supervision", "lead_deputy"), Route("key_supervision", "lead_units")),
    "extend_deadline": (Route("deadline_extended", "acting_unit"), Route("deadline_extended", "lead_deputy")),
    "request_extension": (Route("extension_requested", "staff"),),
    "approve_extension": (Route("extension_approved", "acting_unit"), Route("deadline_extended", "lead_deputy")),
    "refuse_extension": (Route("extension_refused", "acting_unit"), Route("extension_refused_deputy", "lead_deputy")),
}
# Whatever the action, entering one of these states tells these people.
ON_ENTERING: dict[str, tuple[Route, ...]] = {
    "closed": (Route("proposal_closed", "all_deputies"),),
    "withdrawn": (Route("proposal_withdraw", "all_deputies"), Route("proposal_withdraw", "staff")),
    "deciding": (Route("decision_needed", "staff"),),
}
NOTIFICATION_KINDS = frozenset(r.kind for routes in (*ROUTES.values(), *ON_ENTERING.values()) for r in routes)


def notifications_for(ctx: Context, event: Event) -> list[tuple[str, Recipient]]:
    """(kind, recipient) pairs for one event, in the table's order."""
    routes = ROUTES.get(event.action, ())
    if event.to_state != event.from_state:
        routes += ON_ENTERING.get(event.to_state, ())
    return [(route.kind, recipient) for route in routes
            if not route.when or CONDITIONS[route.when](event)
            for recipient in SELECTORS[route.to](ctx, event)]
