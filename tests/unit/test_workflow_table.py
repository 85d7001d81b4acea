"""The workflow table, pinned: a changed edge, action or source state must be a deliberate change here."""
from __future__ import annotations

import pytest

from storage.models import Assignment, CoSigner, Deputy, Proposal, Unit
from workflow.domain.definition import (
    ACTIONS,
    ASSIGNMENT_STATES,
    ASSIGNMENT_TRANSITIONS,
    FINAL_STATES,
    PROPOSAL_TRANSITIONS,
    STATES,
)
from workflow.domain.machine import (
    ASSIGNMENT_MACHINE,
    PROPOSAL_MACHINE,
    actions_from,
    assignment_action_possible,
    proposal_action_possible,
)
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.settings import load_settings

OPEN = ["draft", "consulting", "submitted", "accepted", "assigned", "handling", "replied", "rehandling",
        "deciding", "implementing"]
SUPERVISABLE = ["accepted", "assigned", "handling", "replied", "rehandling", "deciding", "implementing"]


def _stay(*states: str) -> set[tuple[str, None]]:
    return {(s, None) for s in states}


def _to(dest: str, *states: str) -> set[tuple[str, str]]:
    return {(s, dest) for s in states}


# (source, dest) of every proposal row, per trigger; dest None = the action leaves the state as it is.
EXPECTED_PROPOSAL_EDGES: dict[str, set] = {
    "revise": _stay("draft"),
    "request_consultation": _to("consulting", "draft"),
    "give_advice": _to("draft", "consulting"),
    # A co-signer may confirm after 交办 too (issue 10, item 20).
    "confirm_cosign": _stay("draft", "consulting", "submitted", "accepted", "assigned", "handling", "replied",
                            "rehandling", "deciding", "implementing"),
    # Another deputy joins instead of raising the same matter again, until 交办 (issue 14).
    "join_cosign": _stay("submitted", "accepted"),
    "submit": _to("submitted", "draft", "consulting"),
    # A joint proposal may wait for its co-signers' consent (issue 10, item 21).
    "withdraw": _to("withdrawn", "submitted", "accepted") | _stay("submitted", "accepted"),
    "consent_withdrawal": _to("withdrawn", "submitted", "accepted") | _stay("submitted", "accepted"),
    "refuse_withdrawal": _stay("submitted", "accepted"),
    "return_for_revision": _to("draft", "submitted"),
    "refer": _to("referred", "submitted"),
    "accept": _to("accepted", "submitted"),
    "assign": _to("assigned", "accepted"),
    "combine": _stay("accepted"), "uncombine": _stay("accepted"),  # 并案办理: before 交办 only
    "sign": _to("handling", "assigned") | _stay("assigned", "handling", "rehandling", "replied", "implementing"),
    "request_adjustment": _stay("assigned", "handling"),
    "reassign": _to("assigned", "assigned", "handling") | _stay("assigned", "handling"),
    "reject_adjustment": _to("handling", "assigned", "handling") | _stay("assigned", "handling"),
    "log_contact": _stay("assigned", "handling", "rehandling", "replied", "implementing"),
    "submit_opinion": _stay("assigned", "handling", "rehandling"),
    "extend_deadline": _stay("assigned", "handling", "rehandling"),
    "request_extension": _stay("assigned", "handling", "rehandling"),
    "approve_extension": _stay("assigned", "handling", "rehandling"),
    "refuse_extension": _stay("assigned", "handling", "rehandling"),
    "reply": _to("replied", "handling", "rehandling") | _stay("handling", "rehandling"),
    "evaluate_reply": _stay("replied") | _to("rehandling", "replied") | _to("implementing", "replied")
    | _to("closed", "replied") | _to("deciding", "replied"),
    "lapse_rating": _to("deciding", "replied") | _to("rehandling", "replied")
    | _to("implementing", "replied") | _to("closed", "replied", "implementing") | _stay("implementing"),
    "decide": _to("closed", "deciding") | _to("rehandling", "deciding"),
    "report_progress": _stay("implementing"),
    "answer_again": _stay("implementing"),
    "open_implementation_rating": _stay("implementing"),
    "evaluate_implementation": _stay("implementing") | _to("closed", "implementing"),
    "mark_key": _stay(*SUPERVISABLE),
    "close": _to("closed", *OPEN),
    # Issue 11: staff correct a submitted proposal's session, kind or origin until it is finished.
    "correct_session": _stay("submitted", "accepted", "assigned", "handling", "replied", "rehandling", "deciding",
                             "implementing"),
}

EXPECTED_ASSIGNMENT_EDGES: dict[str, set] = {
    "sign": _to("signed", "pending"),
    "request_adjustment": _to("adjustment_requested", "pending", "signed"),
    "reject_adjustment": _to("signed", "adjustment_requested") | _to("pending", "adjustment_requested"),
    "reassign": _to("reassigned", "adjustment_requested"),
    "log_contact": _stay("signed", "replied", "rehandling", "implementing"),
    "submit_opinion": _stay("signed"),
    "reply": _to("replied", "signed", "rehandling"),
    "report_progress": _stay("implementing"),
    "answer_again": _stay("implementing"),
    "extend_deadline": _stay("pending", "signed", "rehandling"),
    "request_extension": _stay("signed", "rehandling"),
    "approve_extension": _stay("signed", "rehandling"),
    "refuse_extension": _stay("signed", "rehandling"),
    "hand_over": _to("reassigned", "pending", "signed", "adjustment_requested"),
    "give_advice": _to("advised", "pending"),
    "start_rehandling": _to("rehandling", "replied"),
    "start_implementing": _to("implementing", "replied"),
    "finish_implementing": _to("done", "implementing"),
    "finish": _to("done", "pending", "signed", "adjustment_requested", "replied", "rehandling", "implementing"),
}

# DESIGN.md section 3: the action ids that are a contract.
CONTRACT_ACTIONS = {
    "request_consultation", "give_advice", "submit", "withdraw", "return_for_revision", "refer", "accept",
    "assign", "sign", "request_adjustment", "log_contact", "submit_opinion", "reply", "evaluate_reply",
    "report_progress", "evaluate_implementation", "mark_key", "close",
}
EXTRA_ACTIONS = {"revise", "confirm_cosign", "consent_withdrawal", "refuse_withdrawal", "reassign",
                 "reject_adjustment", "extend_deadline", "request_extension", "approve_extension", "refuse_extension",
                 "answer_again", "decide", "lapse_rating", "open_implementation_rating", "correct_session",
                 "combine", "uncombine", "join_cosign"}  # 并案办理, 加入联名 (DESIGN.md section 3: handled together, answered separately)
CONTRACT_STATES = {
    "draft", "consulting", "submitted", "accepted", "assigned", "handling", "replied", "rehandling",
    "implementing", "closed", "referred", "withdrawn",
    "deciding",  # issue 10: still 不满意 after the configured re-handlings, staff decide
}


def _sources(row: dict) -> list[str]:
    return row["source"] if isinstance(row["source"], list) else [row["source"]]


def _edges(table: list[dict]) -> dict[str, set]:
    found: dict[str, set] = {}
    for row in table:
        found.setdefault(row["trigger"], set()).update((s, row["dest"]) for s in _sources(row))
    return found


def test_proposal_graph_is_exactly_the_pinned_one():
    assert _edges(PROPOSAL_TRANSITIONS) == EXPECTED_PROPOSAL_EDGES
    pairs = {(s, row["dest"]) for row in PROPOSAL_TRANSITIONS for s in _sources(row)}
    assert pairs == set().union(*EXPECTED_PROPOSAL_EDGES.values())


def test_assignment_graph_is_exactly_the_pinned_one():
    assert _edges(ASSIGNMENT_TRANSITIONS) == EXPECTED_ASSIGNMENT_EDGES


def test_state_ids_are_the_contract_ones_with_final_side_exits():
    assert set(STATES) == CONTRACT_STATES
    assert FINAL_STATES == {"closed", "referred", "withdrawn"}
    assert all(label.strip() for label in STATES.values())


def test_every_action_id_is_a_contract_id_or_one_of_our_named_extras():
    assert CONTRACT_ACTIONS <= set(ACTIONS), "a contract action is missing"
    assert set(ACTIONS) - CONTRACT_ACTIONS == EXTRA_ACTIONS


def test_every_row_names_known_states_and_actions():
    for row in PROPOSAL_TRANSITIONS:
        assert row["trigger"] in ACTIONS
        assert set(_sources(row)) <= set(STATES)
        assert row["dest"] is None or row["dest"] in STATES
    for row in ASSIGNMENT_TRANSITIONS:
        assert set(_sources(row)) <= set(ASSIGNMENT_STATES)
        assert row["dest"] is None or row["dest"] in ASSIGNMENT_STATES


@pytest.mark.parametrize("state", list(STATES))
def test_proposal_action_possible_agrees_with_the_table_for_every_state_and_action(state):
    for action in ACTIONS:
        in_table = any(row["trigger"] == action and state in _sources(row) for row in PROPOSAL_TRANSITIONS)
        assert proposal_action_possible(action, state) is in_table, (state, action)
        # The transitions machine built from the same table has the same trigger from this state.
        assert (action in PROPOSAL_MACHINE.get_triggers(state)) is in_table, (state, action)
    assert actions_from(state) == [a for a in ACTIONS if proposal_action_possible(a, state)]


@pytest.mark.parametrize("state", list(ASSIGNMENT_STATES))
def test_assignment_action_possible_agrees_with_the_table(state):
    triggers = {row["trigger"] for row in ASSIGNMENT_TRANSITIONS}
    for action in triggers | set(ACTIONS):
        in_table = any(row["trigger"] == action and state in _sources(row) for row in ASSIGNMENT_TRANSITIONS)
        assert assignment_action_possible(action, state) is in_table, (state, action)
        assert (action in ASSIGNMENT_MACHINE.get_triggers(state)) is in_table, (state, action)


def test_no_row_leaves_a_final_state():
    for state in FINAL_STATES:
        assert actions_from(state) == []
        assert PROPOSAL_MACHINE.get_triggers(state) == []


def test_every_open_state_has_a_way_out_for_staff():
    for state in OPEN:
        assert proposal_action_possible("close", state)


def _proposal_in(state: str) -> Proposal:
    lead, co = Deputy(id=1, number="D1", name="张三"), Deputy(id=2, number="D2", name="李四")
    unit = Unit(id=1, code="JYJ", name="县教育局")
    assignment = Assignment(id=1, unit=unit, unit_id=1, role="lead", state="done", contact_logged=True)
    return Proposal(id=1, number="2025-001", year=2025, title="校舍", content="修缮", state=state, round=1,
                    lead_deputy=lead, co_signers=[CoSigner(deputy=co)], assignments=[assignment],
                    consultations=[], replies=[], evaluations=[])


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_final_states_allow_no_action_to_anyone(state):
    engine = Engine(db=None, settings=load_settings(environ={}))
    proposal = _proposal_in(state)
    actors = [
        Actor("staff", "wang", role="staff"), Actor("staff", "admin", role="admin"),
        Actor("deputy", "D1"), Actor("deputy", "D2"),
        Actor("unit", "JYJ", assignment_id=1), Actor("system", "engine"),
    ]
    for actor in actors:
        assert engine.allowed_actions(proposal, actor) == [], actor
    assert engine.allowed_actions(proposal, actors[4], proposal.assignments[0]) == []


def test_open_states_do_allow_staff_something():
    # The counterpart of the final-state rule: the empty list above is not an artefact of the fixture.
    engine = Engine(db=None, settings=load_settings(environ={}))
    staff = Actor("staff", "wang", role="staff")
    for state in OPEN:
        assert "close" in engine.allowed_actions(_proposal_in(state), staff), state


@pytest.mark.parametrize("machine", [PROPOSAL_MACHINE, ASSIGNMENT_MACHINE], ids=["proposal", "assignment"])
def test_machines_have_no_automatic_to_state_triggers(machine):
    assert machine.auto_transitions is False
    assert not [name for name in machine.events if name.startswith("to_")]
    assert set(machine.events) == {row["trigger"] for row in (
        PROPOSAL_TRANSITIONS if machine is PROPOSAL_MACHINE else ASSIGNMENT_TRANSITIONS)}


def test_a_model_on_the_proposal_machine_gets_no_to_state_methods():
    from workflow.domain.rules import Context

    ctx = Context(proposal=_proposal_in("draft"))
    PROPOSAL_MACHINE.add_model(ctx, initial="draft")
    try:
        assert not hasattr(ctx, "to_closed")
        assert not hasattr(ctx, "to_submitted")
        assert hasattr(ctx, "submit")
    finally:
        PROPOSAL_MACHINE.remove_model(ctx)


def test_every_id_fits_the_column_that_stores_it():
    """PostgreSQL refuses a longer value (SQLite does not check): state ids live in String(16) columns
    (proposals.state, events.from_state/to_state), action ids and message kinds in String(32)."""
    from storage.models import Event, OutboxMessage, Proposal, ReminderSent
    from workflow.domain.cards import DEADLINE_LABELS
    from workflow.domain.notifications import NOTIFICATION_KINDS

    def width(column) -> int:
        return column.property.columns[0].type.length

    assert max(map(len, STATES)) <= min(width(Proposal.state), width(Event.to_state), width(Event.from_state))
    assert max(map(len, ASSIGNMENT_STATES)) <= width(Assignment.state)
    assert max(map(len, ACTIONS)) <= width(Event.action)
    assert max(map(len, NOTIFICATION_KINDS)) <= width(OutboxMessage.kind)
    assert max(map(len, DEADLINE_LABELS)) <= width(ReminderSent.deadline)
