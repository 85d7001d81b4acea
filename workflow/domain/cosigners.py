"""Who the co-signers (联名代表) typed by name or deputy number are: one rule for the bot and the console.

    tokens = split_names("李四、D0007")
    roster = await desk.find_deputies(session, tokens)    # token -> the active deputies it matches
    found = resolve_co_signers(tokens, roster, me="D0001")

A number names one deputy; a name may name several (two 张伟): those are asked back with the
candidates (number, delegation); a token that names nobody is refused with what was typed. Pure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

_SPLIT = re.compile(r"[、,，;；\s]+")


class Candidate(Protocol):
    number: str
    name: str
    delegation: str


@dataclass(frozen=True)
class Ambiguous:
    token: str
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class Resolution:
    chosen: tuple[tuple[str, str], ...] = ()  # (number, name), in the order typed, without repeats
    ambiguous: tuple[Ambiguous, ...] = ()
    missing: tuple[str, ...] = ()
    named_self: bool = False  # the lead deputy typed themself (left out)

    @property
    def complete(self) -> bool:
        return not self.ambiguous and not self.missing


def split_names(text: str) -> list[str]:
    """The names or numbers in what was typed (separated by 、 , ; or spaces), without repeats."""
    return list(dict.fromkeys(t for t in _SPLIT.split(text or "") if t))


def resolve_co_signers(tokens: Sequence[str], roster: Mapping[str, Sequence[Candidate]], me: str = "") -> Resolution:
    """Each token against the roster's matches for it; `me` (the lead deputy) is never a co-signer."""
    chosen: list[tuple[str, str]] = []
    ambiguous: list[Ambiguous] = []
    missing: list[str] = []
    named_self = False
    for token in dict.fromkeys(tokens):
        matches = tuple(roster.get(token, ()))
        if not matches:
            missing.append(token)
        elif len(matches) > 1:
            ambiguous.append(Ambiguous(token, matches))
        elif matches[0].number == me:
            named_self = True
        elif all(number != matches[0].number for number, _ in chosen):
            chosen.append((matches[0].number, matches[0].name))
    return Resolution(tuple(chosen), tuple(ambiguous), tuple(missing), named_self)


def candidate_label(person: Candidate) -> str:
    """张伟（D0012，城关镇代表团）: how a candidate is shown when a name is asked back."""
    return f"{person.name}（{person.number}{'，' + person.delegation if person.delegation else ''}）"
