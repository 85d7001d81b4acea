"""The similarity index of submitted proposals (migration 0023): each proposal's character bigrams and how many
proposals hold each bigram (the empty gram's row: how many proposals are indexed). What text of a proposal
is indexed is on its own row (Proposal.indexed_digest, migration 0025). Written in the submitting
transaction (workflow/engine/text_index.py); read by workflow/readmodels/similar.py."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class ProposalGram(Base):
    """One bigram of one proposal's title and content: the posting lists are read by gram."""

    __tablename__ = "proposal_grams"
    __table_args__ = {"sqlite_with_rowid": False}  # migration 0026
    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True, index=True)


class GramStat(Base):
    """How many indexed proposals hold a bigram (its document frequency); gram "" counts them all."""

    __tablename__ = "gram_stats"
    __table_args__ = {"sqlite_with_rowid": False}
    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    df: Mapped[int] = mapped_column(Integer, default=0)


class ReplyGram(Base):
    """One bigram of the replies a proposal has had (migration 0024): full-text search finds proposals by
    the words of their replies. Written by workflow/engine/reply_index.py after each reply."""

    __tablename__ = "reply_grams"
    __table_args__ = {"sqlite_with_rowid": False}
    gram: Mapped[str] = mapped_column(String(32), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True, index=True)
