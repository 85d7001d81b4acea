"""What a bot word's handler gets (Ask) and gives back (Reply), and how a word is listed (Command).

Shared by the words of bot/commands.py and of its siblings (bot/opinion_commands.py, ...), so the word
modules import this and not each other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

from storage import bot_store
from workflow.domain.rules import Actor
from workflow.engine.engine import Engine
from workflow.settings import Settings

from .dialogue import Dialogue


@dataclass
class Ask:
    """One message handled by a word: who sent it and what the handler may use."""

    openid: str
    who: bot_store.Identity
    engine: Engine
    settings: Settings
    dialogue: Dialogue = Dialogue()  # the stored dialogue (a word may keep a pending question in it)

    @property
    def db(self):
        return self.engine.db

    @property
    def actor(self) -> Actor:
        return Actor("deputy", self.who.key, self.who.name)


@dataclass(frozen=True)
class Reply:
    text: str
    dialogue: Optional[Dialogue] = None  # a new dialogue to keep (None: leave it as it is)
    forget_dialogue: bool = False  # the handler removed it (unbinding)


Handler = Callable[[Ask, re.Match], Awaitable[Reply]]

ANYONE, DEPUTY, UNIT = frozenset({"", "deputy", "unit"}), frozenset({"deputy"}), frozenset({"unit"})


@dataclass(frozen=True)
class Command:
    pattern: re.Pattern
    who: frozenset
    handler: Handler
    pure: bool = False  # answers from the text alone (no workflow call)
