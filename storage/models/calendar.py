"""Holiday days staff entered on the console (migration 0013_calendar.py).

One row per day of a year the State Council has published: a rest day (放假) or a make-up working day
(调休上班). These win over the settings, the shipped notice files and the chinese-calendar package
(workflow/domain/deadlines.py `HolidayCalendar`); each save of a year is also a system event.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class HolidayDay(Base):
    __tablename__ = "holiday_days"
    __table_args__ = (UniqueConstraint("day", name="uq_holiday_days_day"),
                      CheckConstraint("kind IN ('rest', 'work')", name="ck_holiday_days_kind"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))  # "rest" | "work"
    note: Mapped[str] = mapped_column(String(40), default="")  # the holiday's name
    entered_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
