"""Exports run in the background (migration 0027_export_jobs.py): a large .xlsx (the year's ledger, the
public list of replies) is written by a worker process into a file under data_dir/exports, and the page
that asked for it shows its progress, then the link to the finished file.

A job is queued by the web, claimed by one runner (the claim is an UPDATE guarded by state = 'queued'),
and written by a subprocess that reports rows done and a heartbeat; a job whose heartbeat stopped (its
worker was killed) is queued again.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class ExportJob(Base):
    __tablename__ = "export_jobs"
    __table_args__ = (Index("ix_export_jobs_state", "state", "id"),
                      Index("ix_export_jobs_requested_by", "requested_by", "id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # ledger | replies
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the scope, as the export link named it
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    file_name: Mapped[str] = mapped_column(String(200), default="")  # what the download is called
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | running | done | failed
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[Optional[str]] = mapped_column(String(200))  # under data_dir/exports; None once removed
    worker: Mapped[str] = mapped_column(String(100), default="")  # the runner that claimed it (host:pid:nonce)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    heartbeat_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
    finished_at: Mapped[Optional[dt.datetime]] = mapped_column(DateTime)
