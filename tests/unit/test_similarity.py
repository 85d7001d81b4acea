"""The similarity rules (workflow/domain/similarity.py): bigrams, weights, scores and which bigrams are
looked up to find candidates."""
from __future__ import annotations

from workflow.domain.similarity import DOCUMENTS, grams, probes, score, weight


def test_grams_are_chinese_bigrams_and_latin_words_never_the_empty_count_row():
    found = grams("关于G107国道", "路口")
    assert {"关于", "国道", "g107", "路口"} <= found and DOCUMENTS not in found


def test_a_bigram_in_too_many_proposals_weighs_nothing_and_the_same_text_scores_1():
    assert weight(30, 100) == 0 and weight(1, 100) > weight(10, 100) > 0
    text = grams("东门路口增设红绿灯")
    assert score(text, text, {g: 1 for g in text}, 100) == 1.0


def test_candidates_are_looked_up_by_the_rarest_bigrams_until_their_postings_fill_the_budget():
    dfs = {f"g{i}": df for i, df in enumerate([5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560])}
    documents = 100_000
    chosen = probes(set(dfs), dfs, documents, budget=700, least=3)
    assert chosen == ["g0", "g1", "g2", "g3", "g4", "g5", "g6"]  # 635 postings; the next would pass 700
    assert probes(set(dfs), dfs, documents, budget=1, least=3) == ["g0", "g1", "g2"]  # never fewer than `least`
    assert probes(set(dfs) | {"unseen"}, dfs, documents, budget=10**9, limit=4) == ["g0", "g1", "g2", "g3"]
