"""盖章答复函: the PDF a unit uploads after signing and sealing a reply's letter.

The upload is streamed to a temporary file under data_dir/letters (hashed and counted as it comes,
refused past SEALED_MAX_BYTES), checked to be a PDF, fsynced and renamed to
data_dir/letters/<sha256[:2]>/<sha256>.pdf (the same file twice is one file); then a sealed_letters
row and a `seal_letter` event with the SHA-256 and size are added to the proposal's chain together.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import select

from storage import repositories as repo
from storage.db import Database
from storage.models import Assignment, Reply, SealedLetter, Unit, utcnow
from storage.uow import UnitOfWork
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.letters import PDF_MAGIC, SEALED_MAX_BYTES, SEALED_PER_HOUR, sealed_problem
from workflow.domain.rules import Actor
from workflow.engine.chain import append_event
from workflow.readmodels.letters import uploads_since

FILENAME_MAX = 200


class TooLarge(InvalidInput):
    code = "too_large"
    status = 413


class TooManyUploads(InvalidInput):
    code = "too_many_uploads"
    status = 429


@dataclass(frozen=True)
class Upload:
    """A file received whole into a temporary file, not yet kept."""

    path: Path
    sha256: str
    size: int


def letter_path(data_dir: str, sha256: str) -> Path:
    return Path(data_dir) / "letters" / sha256[:2] / f"{sha256}.pdf"


async def receive(chunks: AsyncIterator[bytes], data_dir: str) -> Upload:
    """Stream `chunks` into a temporary file; TooLarge past SEALED_MAX_BYTES, InvalidInput when empty or
    not a PDF (the temporary file is gone then)."""
    folder = Path(data_dir) / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > SEALED_MAX_BYTES:
                    raise TooLarge(sealed_problem(b"", size), field="file")
                if len(head) < len(PDF_MAGIC):
                    head += chunk[:len(PDF_MAGIC)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            await asyncio.to_thread(os.fsync, out.fileno())
        problem = sealed_problem(head, size)
        if problem:
            raise InvalidInput(problem, field="file")
    except BaseException:
        os.unlink(name)
        raise
    return Upload(Path(name), digest.hexdigest(), size)


async def check_rate(db: Database, reply_id: int) -> None:
    """TooManyUploads when this reply's letter was uploaded SEALED_PER_HOUR times in the last hour."""
    async with db.read() as session:
        recent = await uploads_since(session, reply_id, utcnow() - dt.timedelta(hours=1))
    if recent >= SEALED_PER_HOUR:
        raise TooManyUploads(f"这份答复函一小时内已上传 {recent} 次，请稍后再试。", field="file")


def _clean_filename(filename: str) -> str:
    name = "".join(c for c in (filename or "") if c.isprintable() and c not in "/\\")
    return name.strip()[:FILENAME_MAX]


async def keep(db: Database, data_dir: str, reply_id: int, upload: Upload, filename: str,
               actor: Actor) -> SealedLetter:
    """Put the upload in its place and record it, with its SHA-256 on the proposal's chain."""
    target = letter_path(data_dir, upload.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(upload.path, target)  # the same content twice: the same name, the same bytes
    async with UnitOfWork(db) as session:
        reply = await session.get(Reply, reply_id)
        if reply is None:
            raise NotFound(f"找不到第 {reply_id} 号答复。")
        proposal = await repo.proposal_by_id(session, reply.proposal_id, for_update=True)  # serialised with actions
        unit = (await session.execute(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                                      .where(Assignment.id == reply.assignment_id))).scalar_one()
        row = SealedLetter(reply_id=reply.id, sha256=upload.sha256, size=upload.size,
                           filename=_clean_filename(filename), uploaded_at=utcnow())
        session.add(row)
        append_event(session, proposal, "seal_letter", actor,
                     {"reply_id": reply.id, "unit": unit, "sha256": upload.sha256, "size": upload.size,
                      "filename": row.filename}, assignment_id=reply.assignment_id)
    return row
