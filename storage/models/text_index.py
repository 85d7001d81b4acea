"""The similarity index of submitted proposals (migration 0023): each proposal's character bigrams, how many
proposals hold each bigram, and what text was indexed. Written in the submitting transaction
(workflow/engine/text_index.py); read by workflow/readmodels/similar.py."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ProposalGram(Base):
    """One bigram of one proposal's title and content: the posting lists are read by gram."""

    __tablename__ = "proposal_grams"
    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True, index=True)


class GramStat(Base):
    """How many indexed proposals hold a bigram (its document frequency)."""

    __tablename__ = "gram_stats"
    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class IndexedText(Base):
    """What text of a proposal the index holds (a digest), and how many bigrams."""

    __tablename__ = "indexed_texts"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    grams: Mapped[int] = mapped_column(Integer, default=0)


class ReplyGram(Base):
    """One bigram of the replies a proposal has had (migration 0024): full-text search finds proposals by
    the words of their replies. Written by workflow/engine/reply_index.py after each reply."""

    __tablename__ = "reply_grams"
    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True, index=True)


class IndexedReplies(Base):
    """Up to which reply (its id) a proposal's replies are in reply_grams: the start-up backfill indexes
    the proposals whose newest reply is newer."""

    __tablename__ = "indexed_replies"
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    last_reply_id: Mapped[int] = mapped_column(Integer, default=0)
    grams: Mapped[int] = mapped_column(Integer, default=0)
