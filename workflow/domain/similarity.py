"""Similar proposals in Chinese without word segmentation: character bigrams weighted by how rare they are.

Why bigrams: Chinese has no spaces, and a segmenter (jieba and the like) brings a dictionary that misses
place names and local words ("城关镇", "东门十字路口") and splits them differently in two texts about the
same road. Two adjacent characters are the unit most Chinese words share, so the same matter in other
words still shares its rare pairs ("红绿", "斑马", "东门"), while the pairs every proposal has ("建议",
"关于", "加强") weigh almost nothing. Latin letters and digits count as whole words (a road's number, "G107").

The score is a weighted Dice coefficient over the two texts' bigram sets: 2 × the weight they share /
(the weight of the one + the weight of the other), each bigram weighing its inverse document frequency,
and bigrams in more than `stop_share` of all proposals weighing nothing. It is 0..1: 1 for the same text.
Pure: the index (storage) and the search (workflow/readmodels/similar.py) call these.
"""
from __future__ import annotations

import math
import re
import unicodedata
from typing import Iterable, Mapping

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]{2,}")
MAX_GRAMS = 2000  # a very long text is indexed by its first grams only (bounded work per write)
STOP_SHARE = 0.2  # a bigram in more than this share of the proposals is noise ("建议", "关于")
POSTING_BUDGET = 40_000  # posting entries read to find candidates (a few rare bigrams' lists, not the common ones')
MIN_DOCUMENTS_FOR_STOPS = 20  # with fewer proposals indexed, no bigram is treated as noise
# A draft whose best match scores this much is shown the match with a warning (tuned on tests/e2e/test_similar_proposals.py).
WARN_THRESHOLD = 0.2
DOCUMENTS = ""  # the document-frequency row that counts the indexed proposals (no bigram is empty)


def grams(*texts: str) -> set[str]:
    """The bigrams of Chinese runs and the Latin/digit words of the texts."""
    found: set[str] = set()
    for text in texts:
        norm = unicodedata.normalize("NFKC", text or "").lower()
        for run in _HAN.findall(norm):
            found.update(run[i:i + 2] for i in range(len(run) - 1))
            if len(run) == 1:
                found.add(run)
        found.update(_WORD.findall(norm))
        if len(found) >= MAX_GRAMS:
            break
    return set(sorted(found)[:MAX_GRAMS]) if len(found) > MAX_GRAMS else found


def weight(df: int, documents: int) -> float:
    """A bigram's weight: its inverse document frequency (0 when it is in too many proposals)."""
    if documents >= MIN_DOCUMENTS_FOR_STOPS and df > STOP_SHARE * documents:
        return 0.0
    return math.log((documents + 1) / (df + 1)) + 1.0


def score(a: Iterable[str], b: Iterable[str], dfs: Mapping[str, int], documents: int) -> float:
    """Weighted Dice of two bigram sets, 0..1."""
    a, b = set(a), set(b)
    w = {g: weight(dfs.get(g, 0), documents) for g in a | b}
    total = sum(w[g] for g in a) + sum(w[g] for g in b)
    if total <= 0:
        return 0.0
    return round(min(1.0, 2 * sum(w[g] for g in a & b) / total), 4)


def probes(a: Iterable[str], dfs: Mapping[str, int], documents: int, limit: int = 24,
           budget: int = POSTING_BUDGET, least: int = 6) -> list[str]:
    """The query's bigrams worth looking up: held by some proposal, weighted, rarest first (their posting lists
    are short and their weights the highest), at most `limit`, and no more once their posting lists hold
    `budget` entries in all (but at least `least`): the common ones add work, not better candidates."""
    kept = sorted((g for g in a if dfs.get(g, 0) > 0 and weight(dfs[g], documents) > 0), key=lambda g: (dfs[g], g))
    chosen, postings = [], 0
    for gram in kept[:limit]:
        if len(chosen) >= least and postings + dfs[gram] > budget:
            break
        chosen.append(gram)
        postings += dfs[gram]
    return chosen
