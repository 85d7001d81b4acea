"""The vocabulary of the guided conversation (bot/dialogue.py): the dialogue as stored, what is said,
the intents a step hands to the engine, what a step needs looked up, and what it gives back."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

IDLE = "idle"


@dataclass(frozen=True)
class Dialogue:
    state: str = IDLE
    data: Mapping[str, Any] = field(default_factory=dict)  # JSON: title, content, category, co_signers, ref...


# ---------------------------------------------------------------- inputs
@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Photo:
    media_id: str
    url: str
    msg_id: str


# ---------------------------------------------------------------- intents: work for the engine
@dataclass(frozen=True)
class CreateDraft:
    title: str
    content: str
    category: str
    co_signers: tuple[str, ...]
    photos: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class Revise:
    ref: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Consult:
    ref: str
    question: str


@dataclass(frozen=True)
class Submit:
    ref: str


@dataclass(frozen=True)
class Attach:
    ref: str
    photo: Photo


@dataclass(frozen=True)
class Resume:
    ref: str


Intent = Union[CreateDraft, Revise, Consult, Submit, Attach, Resume]


@dataclass(frozen=True)
class Done:
    intent: Intent
    result: Mapping[str, Any] = field(default_factory=dict)  # ref, number, count


@dataclass(frozen=True)
class Failed:
    intent: Intent
    message: str


Said = Union[Text, Photo, Done, Failed]


@dataclass(frozen=True)
class Facts:
    categories: tuple[str, ...]
    me: str = ""  # the deputy's number
    draft: Any = None  # workflow.readmodels.desk.DraftView of data["ref"], when there is one
    roster: Mapping[str, tuple] = field(default_factory=dict)  # name or number -> (Person, ...)
    open_drafts: tuple = ()  # DraftView of the deputy's unsubmitted drafts, newest first


@dataclass(frozen=True)
class Needs:
    draft: bool = False
    names: tuple[str, ...] = ()
    open_drafts: bool = False


@dataclass(frozen=True)
class Step:
    dialogue: Dialogue
    reply: str
    intent: Optional[Intent] = None
