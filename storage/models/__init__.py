"""SQLAlchemy 2 models: the rows the engine keeps.

Everything a proposal goes through is a row here; the state machine itself lives in `workflow/`.
Split by subject; import them from here.
"""
from .base import Base, utcnow
from .bot import BotDialogue, BotInbound, BindingAttempt, ProposalAttachment
from .core import (
    Deputy, Unit, UnitLiaison, User, BindingCode, ProposalCounter,
    Proposal, CoSigner, Assignment, Consultation, ContactLog, Opinion,
    Reply, Evaluation, ProgressReport, Event, OutboxMessage, ReminderSent,
    Meta,
)
from .meetings import Meeting, MeetingItem, MeetingVote, MeetingLog

__all__ = [
    "Base", "utcnow", "Deputy", "Unit", "UnitLiaison", "User", "BindingCode", "ProposalCounter", "Proposal", "CoSigner", "Assignment", "Consultation", "ContactLog", "Opinion", "Reply", "Evaluation", "ProgressReport", "Event", "OutboxMessage", "ReminderSent", "Meta", "BotDialogue", "BotInbound", "BindingAttempt", "ProposalAttachment", "Meeting", "MeetingItem", "MeetingVote", "MeetingLog",
]
