"""代表联络站 "1+N" and 群众意见 (migration 0020): stations and their points, the deputies of each, the duty
roster, 接待日 records, the deputy's public card (亮身份), citizens' opinions with their referrals to units,
the proposals that carry them, and the public entry's throttle.

An opinion's history is its own chain of `RecordEvent`s (the one writer: workflow/engine/chain.py); the
citizen's name, phone and WeChat openid stay on the opinion row and never enter an event, a unit's page or
a public page.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .core import Deputy, Unit


class Station(Base):
    """代表联络站 (parent_id empty) or one of its N points (联系点/服务点/民意点)."""

    __tablename__ = "stations"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # the 联络站码 in /o/<code>
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))  # workflow.domain.opinions.STATION_KINDS
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stations.id"))
    address: Mapped[str] = mapped_column(String(200), default="")
    township: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")  # the station's own number (never a deputy's)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    deputies: Mapped[list["StationDeputy"]] = relationship(lazy="selectin", order_by="StationDeputy.id",
                                                           cascade="all, delete-orphan")


class StationDeputy(Base):
    """A deputy who receives constituents at a station or point (进站代表)."""

    __tablename__ = "station_deputies"
    __table_args__ = (UniqueConstraint("station_id", "deputy_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    deputy: Mapped[Deputy] = relationship(lazy="joined")


class DutyDay(Base):
    """值班: a deputy on duty at a station on a day."""

    __tablename__ = "duty_days"
    __table_args__ = (UniqueConstraint("station_id", "deputy_id", "day"), Index("ix_duty_days_day", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    deputy: Mapped[Deputy] = relationship(lazy="joined")


class ReceptionDay(Base):
    """接待日: the deputies present at a station on a day and the people they received."""

    __tablename__ = "reception_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id"))
    day: Mapped[dt.date] = mapped_column(Date)
    deputies: Mapped[list[Any]] = mapped_column(default=list)  # deputy numbers
    people: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class DeputyCard(Base):
    """亮身份: what the deputy's public card /d/<number> shows, chosen by the deputy, and the 代表码."""

    __tablename__ = "deputy_cards"
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputies.id"), primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # the 代表码 in /o/<code>
    photo: Mapped[str] = mapped_column(String(200), default="")  # a file under data_dir (empty: none)
    relay_phone: Mapped[str] = mapped_column(String(32), default="")  # a relay number (转接号码)
    show_phone: Mapped[bool] = mapped_column(Boolean, default=False)  # the deputy's own phone, only if chosen
    show_work_unit: Mapped[bool] = mapped_column(Boolean, default=True)
    show_record: Mapped[bool] = mapped_column(Boolean, default=True)  # the 履职 record (代表法 art. 58)
    show_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    deputy: Mapped[Deputy] = relationship(lazy="joined")


class CitizenOpinion(Base):
    """群众意见: what a constituent asked of a deputy or a station, and what became of it."""

    __tablename__ = "citizen_opinions"
    __table_args__ = (Index("ix_citizen_opinions_deputy", "deputy_id", "state"),
                      Index("ix_citizen_opinions_station", "station_id", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt: Mapped[str] = mapped_column(String(16), unique=True)  # 回执号: random, the key of the public page
    station_id: Mapped[Optional[int]] = mapped_column(ForeignKey("stations.id"))
    deputy_id: Mapped[Optional[int]] = mapped_column(ForeignKey("deputies.id"))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))  # workflow.domain.opinions.CHANNELS
    entered_by: Mapped[str] = mapped_column(String(16), default="citizen")  # citizen | deputy | staff
    received_on: Mapped[dt.date] = mapped_column(Date)
    # Personal data: never in an event, a unit's page or a public page (hidden from units when asked).
    citizen_name: Mapped[str] = mapped_column(String(64), default="")
    citizen_phone: Mapped[str] = mapped_column(String(32), default="")
    citizen_openid: Mapped[Optional[str]] = mapped_column(String(64))
    hide_from_units: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="received")
    version: Mapped[int] = mapped_column(Integer, default=0)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(128), default="")
    answered_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    route: Mapped[str] = mapped_column(String(16), default="")  # answer | refer | to_proposal | out_of_remit
    rating: Mapped[str] = mapped_column(String(24), default="")
    rating_comment: Mapped[str] = mapped_column(Text, default="")
    closed_reason: Mapped[str] = mapped_column(String(64), default="")
    where_to_go: Mapped[str] = mapped_column(Text, default="")
    proposal_id: Mapped[Optional[int]] = mapped_column(ForeignKey("proposals.id"))
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    station: Mapped[Optional[Station]] = relationship(lazy="joined")
    deputy: Mapped[Optional[Deputy]] = relationship(lazy="joined")
    referrals: Mapped[list["OpinionReferral"]] = relationship(lazy="selectin", order_by="OpinionReferral.id",
                                                              cascade="all")
    photos: Mapped[list["OpinionPhoto"]] = relationship(lazy="selectin", order_by="OpinionPhoto.id", cascade="all")

    __mapper_args__ = {"version_id_col": version}


class OpinionPhoto(Base):
    """A photo the citizen (or the deputy) sent with an opinion, kept under data_dir."""

    __tablename__ = "opinion_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("citizen_opinions.id"))
    path: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OpinionReferral(Base):
    """转办: an opinion handed to a unit or township, answered through its signed link (/u/o<id>...)."""

    __tablename__ = "opinion_referrals"
    __table_args__ = (Index("ix_opinion_referrals_unit", "unit_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("citizen_opinions.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | answered | sent_back | closed
    note: Mapped[str] = mapped_column(Text, default="")
    referred_on: Mapped[dt.date] = mapped_column(Date)
    due: Mapped[dt.date] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    handler: Mapped[str] = mapped_column(String(64), default="")
    answered_on: Mapped[Optional[dt.date]] = mapped_column(Date)
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    link_issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    unit: Mapped[Unit] = relationship(lazy="joined")


class ProposalOpinion(Base):
    """The opinions a proposal carries (意见转建议): their citizens are told when it is answered."""

    __tablename__ = "proposal_opinions"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("citizen_opinions.id"), primary_key=True, unique=True)


class RecordEvent(Base):
    """One action on a record that is not a proposal (an opinion; later a livelihood project):
    append-only, hash-chained per record like a proposal's events."""

    __tablename__ = "record_events"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # opinion
    subject_id: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(128), default="")
    on_behalf_kind: Mapped[str] = mapped_column(String(16), default="")
    on_behalf_id: Mapped[str] = mapped_column(String(64), default="")
    from_state: Mapped[str] = mapped_column(String(16), default="")
    to_state: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64))


class PublicThrottle(Base):
    """What one address (or one code) posted on a public page in the current window."""

    __tablename__ = "public_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
