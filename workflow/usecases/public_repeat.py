"""The same submission posted again on a public page (a double tap, a phone retrying on a bad network, the
balancer sending the retry to the other instance): answered with what the first post got, written once.

A submission is named by a keyed digest of (network address, target, text): `submission_key`, so the table
holds no one's address or words. Its row lives in public_throttle beside the posting counters (no table of
its own, no migration): `window_start` is when the first post claimed it and `count` the id of the record
it wrote (an opinion's or a project's), `PENDING` while it is being written.

- `seen` (a read): the receipt a settled claim of the window holds, so a repeat costs no posting quota;
- `claim` (after the quotas): the first post takes the key in its own short transaction, before its write;
  the primary key lets one instance win when two posts arrive at the same moment, and the other waits for
  the winner's record (`WAIT_SECONDS`) and answers with its receipt;
- `settle` after the write, or `release` when the write was refused (what was fixed may be posted again).

A claim left pending `STALE_SECONDS` lost its writer (the process stopped) and is taken over. What this
cannot see: a process stopping between the record's commit and `settle` (milliseconds) leaves its post
unnamed, and a repeat after `STALE_SECONDS` writes a second record; closing that needs the claim written in
the record's own transaction, by the engine.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import delete, select, update

from storage.db import Database
from storage.models import CitizenOpinion, Project, PublicThrottle, utcnow
from storage.uow import Conflict, UnitOfWork
from workflow.usecases.public_throttle import address_key

log = logging.getLogger("jianyi.usecases.public_repeat")
PENDING = 0
WAIT_SECONDS = 10.0  # a repeat waits this long for the first post's write (it takes milliseconds)
POLL_SECONDS = 0.05
STALE_SECONDS = 120  # longer than any write waits for a busy database (SQLite's busy_timeout is 30 s)
STILL_WRITING = "您刚才提交的同样内容正在保存，请稍等片刻再点一次提交（不会重复登记）。您填写的内容还在下面。"
RECORDS = {"opinion": (CitizenOpinion.id, CitizenOpinion.receipt), "project": (Project.id, Project.number)}


def submission_key(secret: str, kind: str, address: str, target: str, *texts: str) -> str:
    """The row's key for this address posting these texts to this target (a code, a year)."""
    return address_key(secret, f"{kind}-same", "\x1f".join((address, target, *texts)))


class SameSubmission:
    """One post of a public page, `kind` "opinion" or "project" (what `count` names), repeats answered
    inside `window_seconds`."""

    def __init__(self, db: Database, kind: str, key: str, window_seconds: int):
        self.db, self.key, self.window = db, key, dt.timedelta(seconds=window_seconds)
        self.record_id, self.number = RECORDS[kind]

    async def seen(self) -> str:
        """The receipt (or number) the same post already got in the window; "" when none is settled."""
        async with self.db.read() as session:
            row = await session.get(PublicThrottle, self.key)
            if row is None or row.count == PENDING or row.window_start + self.window <= utcnow():
                return ""
            return await self._number(session, row.count)

    async def claim(self) -> str:
        """"" when this post is the first (it now holds the key: `settle` or `release` it), else the receipt
        the first one got; Conflict (Chinese) when the first is still writing after `WAIT_SECONDS`."""
        loop = asyncio.get_running_loop()
        until = loop.time() + WAIT_SECONDS
        while True:
            found = await self._claim_or_read(utcnow())
            if found is not None:
                return found
            if loop.time() >= until:
                raise Conflict(STILL_WRITING, reason="busy")
            await asyncio.sleep(POLL_SECONDS)

    async def _claim_or_read(self, now: dt.datetime):
        """"" claimed, the first post's receipt, or None while it is being written."""
        try:
            async with UnitOfWork(self.db) as session:
                row = await session.get(PublicThrottle, self.key, with_for_update=True)
                if row is None:
                    session.add(PublicThrottle(key=self.key, window_start=now, count=PENDING))
                    return ""
                fresh = row.window_start + self.window > now
                if fresh and row.count != PENDING:
                    number = await self._number(session, row.count)
                    if number:
                        return number
                elif fresh and row.window_start + dt.timedelta(seconds=STALE_SECONDS) > now:
                    return None
                row.window_start, row.count = now, PENDING  # an old post, or its writer is gone: a new one
                return ""
        except Conflict:  # the same first post on another instance at this moment: read its claim next
            return None

    async def _number(self, session, record_id: int) -> str:
        return (await session.execute(select(self.number).where(self.record_id == record_id))).scalar() or ""

    async def settle(self, record_id: int) -> None:
        """The claim names the record written: repeats now answer with its receipt."""
        for attempt in range(3):
            try:
                async with UnitOfWork(self.db) as session:
                    await session.execute(update(PublicThrottle).where(PublicThrottle.key == self.key)
                                          .values(count=record_id))
                return
            except Conflict:
                if attempt == 2:  # the record is kept; a repeat waits, then takes the claim over
                    log.warning("public post: the claim of record %s was not settled", record_id)

    async def release(self) -> None:
        """Nothing was written: the claim goes, so the post may be made again."""
        try:
            async with UnitOfWork(self.db) as session:
                await session.execute(delete(PublicThrottle).where(PublicThrottle.key == self.key,
                                                                   PublicThrottle.count == PENDING))
        except Conflict:  # left pending: taken over after STALE_SECONDS
            log.warning("public post: a refused post's claim was not released")
