"""What a full-text search query asks for (docs/search.md): its terms, and where a result shows them.

A query is split into Chinese runs and Latin/digit words (spaces and punctuation only separate them); a
proposal matches when it holds every term. A term of two characters or more is looked up in the bigram
index (workflow/domain/similarity.py grams: the same normalisation, NFKC and lower case); a single
character has no bigram and is matched by LIKE. Pure: workflow/readmodels/search.py runs the lookups.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from workflow.domain.errors import InvalidInput

MAX_QUERY = 100  # characters: a search box holds a few words, not a document
MAX_TERMS = 8
_TERM = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Term:
    text: str

    @property
    def han(self) -> bool:
        return bool(_HAN.match(self.text))

    @property
    def indexed(self) -> bool:
        """Two characters or more: found through the index (one character falls back to LIKE)."""
        return len(self.text) >= 2

    @property
    def grams(self) -> list[str]:
        """The index entries that must all be present: a Chinese run's bigrams, a Latin/digit word whole."""
        if not self.han:
            return [self.text]
        return sorted({self.text[i:i + 2] for i in range(len(self.text) - 1)})

    @property
    def exact(self) -> bool:
        """Its one index entry is the term itself: no substring check needed."""
        return len(self.grams) == 1 and (not self.han or len(self.text) == 2)


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def terms(query: str) -> list[Term]:
    """The query's terms in order, each once; bad queries refused in Chinese."""
    if len(query or "") > MAX_QUERY:
        raise InvalidInput(f"检索词太长，最多 {MAX_QUERY} 个字。", field="q")
    if not (query or "").strip():
        raise InvalidInput("请输入检索词。", field="q")
    found: list[Term] = []
    for text in _TERM.findall(normalise(query)):
        if Term(text) not in found:
            found.append(Term(text))
    if not found:
        raise InvalidInput("检索词中没有汉字、字母或数字，请换个词。", field="q")
    if len(found) > MAX_TERMS:
        raise InvalidInput(f"检索词最多 {MAX_TERMS} 个（用空格或标点隔开的词）。", field="q")
    return found


def snippet(text: str, found: list[Term], width: int = 60) -> str:
    """A short piece of `text` around the first term it holds ("" when it holds none)."""
    norm = normalise(text)
    at = min((i for i in (norm.find(t.text) for t in found) if i >= 0), default=-1)
    if at < 0 or len(norm) != len(text):
        at = min((i for i in (text.find(t.text) for t in found) if i >= 0), default=-1)
    if at < 0:
        return ""
    start = max(0, at - width // 3)
    piece = " ".join(text[start:start + width].split())
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(text) else "")


def holds(text: str, found: list[Term]) -> bool:
    norm = normalise(text)
    return any(t.text in norm for t in found)
