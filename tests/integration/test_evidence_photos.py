"""Evidence photos are kept: the worker fetches each photo from WeChat's media API as soon as it arrives,
stores it under data_dir by its SHA-256 (recorded in the event log), serves it to staff, the units on the
proposal and the deputy from our own storage, retries a failed fetch and shows staff the ones it could not get."""
from __future__ import annotations

import asyncio
import hashlib
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from notify.runner import Notifier
from storage.models import Event, Proposal, ProposalAttachment, utcnow
from storage.uow import UnitOfWork
from tests.support.api import Api
from tests.support.notify import with_wechat
from workflow.domain.links import make_feedback_token
from workflow.usecases import evidence

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9"


async def _photo_on(db, number: str, media_id: str) -> int:
    """A photo the deputy sent for proposal `number` (as the bot's attach_photo records it)."""
    async with UnitOfWork(db) as session:
        p = (await session.execute(select(Proposal).where(Proposal.number == number))).scalars().one()
        photo = ProposalAttachment(proposal_id=p.id, deputy_id=p.lead_deputy_id, kind="image", media_id=media_id,
                                   url="http://mmbiz.qpic.cn/x.jpg", msg_id=media_id, next_fetch_at=utcnow())
        session.add(photo)
        await session.flush()
        return photo.id


async def _until(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (found := await condition()):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("not reached in time")


async def _row(db, photo_id: int) -> ProposalAttachment:
    async with db.read() as session:
        return await session.get(ProposalAttachment, photo_id)


@pytest.fixture
async def worker(db, settings, fake_wechat, redis_url):
    settings = with_wechat(settings, fake_wechat, redis_url)
    notifier = Notifier(db, settings, senders=0, relay=False, scheduler=True)
    await notifier.start()
    yield notifier
    await notifier.stop()


async def test_a_photo_is_fetched_kept_by_sha256_on_the_event_chain_and_served_to_staff_units_and_deputy(
        client, auth, clock, db, settings, fake_wechat, worker, staff):
    api = Api(client, auth, clock)
    await api.roster()
    number = await api.take_to("assigned")
    fake_wechat.media["MEDIA_OK"] = (JPEG, "image/jpeg")
    photo_id = await _photo_on(db, number, "MEDIA_OK")

    row = await _until(lambda: _stored(db, photo_id))
    sha = hashlib.sha256(JPEG).hexdigest()
    assert (row.sha256, row.size, row.content_type) == (sha, len(JPEG), "image/jpeg")
    assert evidence.media_path(settings.server.data_dir, sha).read_bytes() == JPEG
    async with db.read() as session:
        events = (await session.execute(select(Event).where(Event.action == "evidence_stored"))).scalars().all()
    assert [(e.payload["attachment"], e.payload["sha256"]) for e in events] == [(photo_id, sha)]

    r = await client.get(f"/media/{photo_id}")  # staff, signed in
    assert r.status == 200 and await r.read() == JPEG and r.headers["Content-Type"] == "image/jpeg"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    unit = urlsplit(await api.link(number, "JYJ")).path
    r = await client.get(f"{unit}/media/{photo_id}")
    assert r.status == 200 and await r.read() == JPEG
    assert f"{unit}/media/{photo_id}" in await (await client.get(unit)).text()  # the unit's page links it
    detail = await api.detail(number)
    async with db.read() as session:
        proposal_id = (await session.execute(select(Proposal.id).where(Proposal.number == number))).scalar_one()
    token = make_feedback_token(settings.server.secret_key, proposal_id, "D001", 30)
    r = await client.get(f"/f/{token}/media/{photo_id}")
    assert r.status == 200 and await r.read() == JPEG
    assert detail["attachments"][0]["sha256"] == sha and detail["attachments"][0]["stored_url"] == f"/media/{photo_id}"


async def _stored(db, photo_id):
    row = await _row(db, photo_id)
    return row if row.stored_at is not None else None


async def test_a_photo_of_another_proposal_or_a_tampered_link_is_not_served(client, auth, clock, db, settings,
                                                                            fake_wechat, worker, staff):
    api = Api(client, auth, clock)
    await api.roster()
    first, second = await api.take_to("assigned"), await api.take_to("assigned")
    fake_wechat.media["MEDIA_A"] = (JPEG, "image/jpeg")
    photo_id = await _photo_on(db, first, "MEDIA_A")
    await _until(lambda: _stored(db, photo_id))
    other_unit = urlsplit(await api.link(second, "JYJ")).path
    r = await client.get(f"{other_unit}/media/{photo_id}")
    assert r.status == 404 and "找不到这张照片" in await r.text()
    r = await client.get(f"{other_unit}x/media/{photo_id}")
    assert r.status in (403, 404) and JPEG not in await r.read()
    client.session.cookie_jar.clear()
    r = await client.get(f"/media/{photo_id}", allow_redirects=False)
    assert r.status in (302, 303) and "/login" in r.headers["Location"]


async def test_a_failed_fetch_is_retried_and_an_expired_one_is_shown_to_staff(client, auth, clock, db, fake_wechat,
                                                                           worker, staff):
    api = Api(client, auth, clock)
    await api.roster()
    number = await api.take_to("submitted")
    fake_wechat.media["MEDIA_LATE"] = (JPEG, "image/jpeg")
    fake_wechat.fail("media/get", status=500, times=1)  # WeChat busy once
    retried = await _photo_on(db, number, "MEDIA_LATE")
    await _until(lambda: _attempted(db, retried))
    async with UnitOfWork(db) as session:  # do not wait the 30 s pause in a test
        (await session.get(ProposalAttachment, retried)).next_fetch_at = utcnow()
    await _until(lambda: _stored(db, retried))

    expired = await _photo_on(db, number, "MEDIA_GONE")  # WeChat answers 40007: kept three days only
    row = await _until(lambda: _attempted(db, expired))
    assert row.next_fetch_at is None and row.stored_at is None and "40007" in row.fetch_error
    page = await (await client.get(f"/console/proposals/{number}")).text()
    assert "未能从微信取回" in page
    queue = await (await client.get("/console")).text()
    assert "未能保存的佐证照片" in queue and f"/console/proposals/{number}" in queue
    r = await client.get(f"/media/{expired}")
    assert r.status == 404 and "尚未保存" in await r.text()


async def _attempted(db, photo_id):
    row = await _row(db, photo_id)
    return row if row.fetch_attempts > 0 else None
