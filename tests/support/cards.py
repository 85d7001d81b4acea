"""The dashboard's yellow and red cards (counted in SQL, workflow/readmodels/card_counts.py) against the
reminders' own list of open deadlines (workflow/readmodels/deadlines.py open_deadlines), sorted by hand."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from workflow.domain.cards import DEADLINE_LABELS, last_yellow_due
from workflow.readmodels.card_counts import card_page, cards
from workflow.readmodels.deadlines import open_deadlines


async def assert_cards_agree(db, settings, today: dt.date, shown: int = 3) -> dict[str, int]:
    """Every count by deadline, the most urgent shown and a page of each card's list (of each deadline too)
    equal what the reminders' deadlines give on `today`; returns each card's total."""
    last_yellow = last_yellow_due(today, settings.deadlines.reminder.amount)
    expected: dict[str, list] = {"red": [], "yellow": []}
    for due in await open_deadlines(db, settings):  # every deadline, not only those near: nothing pre-filtered
        if due.due < today:
            expected["red"].append((due, (today - due.due).days))
        elif last_yellow is not None and due.due <= last_yellow:
            expected["yellow"].append((due, (due.due - today).days))
    found = await cards(db, settings, today, shown)
    for card, items in expected.items():
        items.sort(key=lambda pair: (pair[0].due, pair[0].number, pair[0].deadline, pair[0].assignment_id or 0))
        counted = Counter(due.deadline for due, _ in items)
        assert found.by_deadline(card) == {name: counted[name] for name in DEADLINE_LABELS}, (today, card)
        assert found.total(card) == len(items)
        assert found.most_urgent(card) == items[:shown], (today, card)
        assert await card_page(db, settings, today, card, "", 1, 2) == (len(items), items[1:3]), (today, card)
        for name in counted:
            of_one = [pair for pair in items if pair[0].deadline == name]
            assert await card_page(db, settings, today, card, name, 0, 2) == (len(of_one), of_one[:2]), (today, name)
    return {card: len(items) for card, items in expected.items()}
