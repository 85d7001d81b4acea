"""SQLAlchemy 2 models: the rows the engine keeps.

Everything a proposal goes through is a row here; the state machine itself lives in `workflow/`.
Split by subject; import them from here.
"""
from .audit import SYSTEM_HEAD, SystemEvent
from .base import Base, utcnow
from .bot import BindingAttempt, BotDialogue, BotInbound, ProposalAttachment
from .calendar import HolidayDay
from .core import (
    HANDED_ON_STATES,
    Assignment,
    BindingCode,
    Consultation,
    ContactLog,
    CoSigner,
    Deputy,
    Event,
    LoginThrottle,
    Meta,
    Opinion,
    OutboxMessage,
    ProgressReport,
    Proposal,
    ProposalCounter,
    ReminderSent,
    Reply,
    Unit,
    UnitLiaison,
    User,
)
from .demo import DemoWechatMessage
from .evaluations import Evaluation
from .export_jobs import ExportJob as ExportJob
from .extensions import ExtensionRequest
from .groups import HandlingGroup
from .letters import SealedLetter, UnitHead
from .liaison import (
    CitizenOpinion,
    DeputyCard,
    DutyDay,
    OpinionPhoto,
    OpinionReferral,
    ProposalOpinion,
    PublicThrottle,
    ReceptionDay,
    RecordEvent,
    Station,
    StationDeputy,
)
from .meetings import Meeting, MeetingItem, MeetingLog, MeetingVote
from .projects import Project, ProjectInspection, ProjectPhoto, ProjectProgress, ProjectVote, ProjectWindow
from .receipts import ActionReceipt
from .sessions import CongressSession, SessionCounter
from .share_facts import STORED_FACTS, LeadShareFacts, ProposalFacts
from .text_index import GramStat, ProposalGram

__all__ = [
    "HANDED_ON_STATES", "LoginThrottle", "Base", "utcnow", "Deputy", "Unit", "UnitLiaison", "User", "BindingCode", "ProposalCounter", "Proposal", "CoSigner", "Assignment", "Consultation", "ContactLog", "Opinion", "Reply", "Evaluation", "ProgressReport", "Event", "OutboxMessage", "ReminderSent", "Meta", "BotDialogue", "BotInbound", "BindingAttempt", "ProposalAttachment", "Meeting", "MeetingItem", "MeetingVote", "MeetingLog", "DemoWechatMessage", "ActionReceipt", "SystemEvent", "SYSTEM_HEAD", "HolidayDay", "ExtensionRequest", "CongressSession", "SessionCounter", "UnitHead", "SealedLetter",
    "Station", "StationDeputy", "DutyDay", "ReceptionDay", "DeputyCard", "CitizenOpinion", "OpinionPhoto",
    "OpinionReferral", "ProposalOpinion", "RecordEvent", "PublicThrottle",
    "ProposalGram", "GramStat", "LeadShareFacts", "ProposalFacts", "STORED_FACTS",
    "Project", "ProjectVote", "ProjectProgress", "ProjectPhoto", "ProjectInspection", "ProjectWindow",
    "HandlingGroup",
]
