"""Signed links, as pure functions: the unit link (/u/<token>: an assignment, an opinion referral "o…", a
livelihood project "p…") and the deputy's feedback link (/f/<token>).

token = "<assignment id>.<link version>.<expiry, unix seconds>.<signature>"; HMAC-SHA256 with the
server's secret key, scoped to one assignment, expiring; raising the assignment's link version
(workflow/usecases/links.py reissue_link) revokes every earlier token of it.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Optional, Protocol

from workflow.domain.definition import SUPERSEDED_ASSIGNMENT_STATES
from workflow.domain.errors import WorkflowError


def same_secret(sent: str, expected: str) -> bool:
    """Whether text a stranger sent (a link's signature, a cookie, a form field, a query parameter) equals
    the expected secret, in constant time; any text goes through (hmac.compare_digest raises TypeError on
    a str that is not ASCII, which answered 500)."""
    return hmac.compare_digest(str(sent).encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _digits(*parts: str) -> bool:
    """ASCII digits only: "²" and "٣" pass str.isdigit() but are no part of a link."""
    return all(p.isascii() and p.isdigit() for p in parts)


class Assignment(Protocol):
    """What a unit link is made from: an assignment's id, link version and issue time."""

    id: int
    state: str
    link_version: int
    link_issued_at: Optional[dt.datetime]
    created_at: dt.datetime


class LinkInvalid(WorkflowError):
    code = "link_invalid"
    status = 403


class LinkExpired(WorkflowError):
    code = "link_expired"
    status = 410


@dataclass(frozen=True)
class LinkClaim:
    assignment_id: int
    version: int
    expires: int


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), b"unit-link:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def make_token(secret: str, assignment: Assignment, ttl_days: int) -> str:
    issued = assignment.link_issued_at or assignment.created_at
    expires = int((issued + dt.timedelta(days=ttl_days)).replace(tzinfo=dt.timezone.utc).timestamp())
    body = f"{assignment.id}.{assignment.link_version}.{expires}"
    return f"{body}.{_signature(secret, body)}"


def read_token(secret: str, token: str, now: dt.datetime | None = None) -> LinkClaim:
    """The claim of a well-signed token; LinkInvalid if forged or malformed, LinkExpired if too old."""
    parts = (token or "").split(".")
    if len(parts) != 4 or not _digits(*parts[:3]) or len(token) > 200:
        raise LinkInvalid("链接无效：请使用人大工作人员发给您的完整链接。")
    body = ".".join(parts[:3])
    if not same_secret(parts[3], _signature(secret, body)):
        raise LinkInvalid("链接无效或已被改动：请使用人大工作人员发给您的完整链接。")
    claim = LinkClaim(int(parts[0]), int(parts[1]), int(parts[2]))
    now = now or dt.datetime.now(dt.timezone.utc)
    if claim.expires < now.timestamp():
        raise LinkExpired("链接已过期，请联系人大工作人员重新发送。")
    return claim


def check_current(claim: LinkClaim, assignment: Assignment | None) -> Assignment:
    """The assignment the claim opens, if the link has not been revoked or replaced."""
    if assignment is None:
        raise LinkInvalid("链接无效：找不到对应的交办记录。")
    if assignment.link_version != claim.version:
        raise LinkExpired("此链接已作废（已重新发送新链接），请使用最新的链接。")
    if assignment.state in SUPERSEDED_ASSIGNMENT_STATES:
        raise LinkExpired("这件建议已改派给其他单位，此链接已失效。")
    return assignment


@dataclass(frozen=True)
class FeedbackClaim:
    proposal_id: int
    deputy: str
    expires: int


def make_feedback_token(secret: str, proposal_id: int, deputy_number: str, ttl_days: int,
                        now: dt.datetime | None = None) -> str:
    """A link for one deputy to read one proposal's replies and rate them with one tap."""
    now = now or dt.datetime.now(dt.timezone.utc)
    expires = int((now + dt.timedelta(days=ttl_days)).timestamp())
    deputy = base64.urlsafe_b64encode(deputy_number.encode()).decode().rstrip("=")
    body = f"{proposal_id}.{deputy}.{expires}"
    return f"{body}.{_signature(secret, 'feedback:' + body)}"


def read_feedback_token(secret: str, token: str, now: dt.datetime | None = None) -> FeedbackClaim:
    parts = (token or "").split(".")
    if len(parts) != 4 or not _digits(parts[0], parts[2]) or len(token) > 200:
        raise LinkInvalid("链接无效：请使用微信消息中的完整链接。")
    body = ".".join(parts[:3])
    if not same_secret(parts[3], _signature(secret, "feedback:" + body)):
        raise LinkInvalid("链接无效或已被改动：请使用微信消息中的完整链接。")
    try:
        deputy = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise LinkInvalid("链接无效：请使用微信消息中的完整链接。") from None
    claim = FeedbackClaim(int(parts[0]), deputy, int(parts[2]))
    if claim.expires < (now or dt.datetime.now(dt.timezone.utc)).timestamp():
        raise LinkExpired("链接已过期，请在公众号中发送“进度 建议编号”查看。")
    return claim


# ---------------------------------------------------------------- links to records other than assignments
# The same signed-link mechanism as an assignment's, "<prefix><id>.<link version>.<expiry>.<signature>",
# opened at /u/<token> like every unit link; each kind has its prefix and is signed for its own purpose, so
# one kind never opens another: an opinion's referral (转办) "o…", a livelihood project's responsible unit "p…".
REFERRAL, PROJECT = ("o", "opinion-referral"), ("p", "project-link")


def _make_prefixed(kind: tuple[str, str], secret: str, row: Assignment, ttl_days: int) -> str:
    prefix, purpose = kind
    issued = row.link_issued_at or row.created_at
    expires = int((issued + dt.timedelta(days=ttl_days)).replace(tzinfo=dt.timezone.utc).timestamp())
    body = f"{prefix}{row.id}.{row.link_version}.{expires}"
    return f"{body}.{_signature(secret, purpose + ':' + body)}"


def _read_prefixed(kind: tuple[str, str], secret: str, token: str, now: dt.datetime | None) -> LinkClaim:
    prefix, purpose = kind
    parts = (token or "").split(".")
    if (len(parts) != 4 or not parts[0].startswith(prefix) or not _digits(parts[0][1:], *parts[1:3])
            or len(token) > 200):
        raise LinkInvalid("链接无效：请使用人大工作人员发给您的完整链接。")
    body = ".".join(parts[:3])
    if not same_secret(parts[3], _signature(secret, purpose + ":" + body)):
        raise LinkInvalid("链接无效或已被改动：请使用人大工作人员发给您的完整链接。")
    claim = LinkClaim(int(parts[0][1:]), int(parts[1]), int(parts[2]))
    if claim.expires < (now or dt.datetime.now(dt.timezone.utc)).timestamp():
        raise LinkExpired("链接已过期，请联系人大工作人员重新发送。")
    return claim


def make_referral_token(secret: str, referral: Assignment, ttl_days: int) -> str:
    return _make_prefixed(REFERRAL, secret, referral, ttl_days)


def is_referral_token(token: str) -> bool:
    return (token or "").startswith(REFERRAL[0])


def read_referral_token(secret: str, token: str, now: dt.datetime | None = None) -> LinkClaim:
    return _read_prefixed(REFERRAL, secret, token, now)


def make_project_token(secret: str, project: Assignment, ttl_days: int) -> str:
    return _make_prefixed(PROJECT, secret, project, ttl_days)


def is_project_token(token: str) -> bool:
    return (token or "").startswith(PROJECT[0])


def read_project_token(secret: str, token: str, now: dt.datetime | None = None) -> LinkClaim:
    return _read_prefixed(PROJECT, secret, token, now)
