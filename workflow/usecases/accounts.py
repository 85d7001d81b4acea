"""Console and API accounts: argon2-hashed passwords, API tokens kept only as hashes, roles,
and console sign-in with a lockout after repeated failures."""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage import repositories as repo
from storage.db import Database
from storage.models import User, utcnow
from storage.uow import UnitOfWork
from workflow.domain import clock as beijing
from workflow.domain.definition import ACCOUNT_ROLES
from workflow.domain.errors import InvalidInput, NotFound, WorkflowError
from workflow.domain.rules import Actor
from workflow.usecases import login_throttle

ROLES = ACCOUNT_ROLES  # 管理员、工作人员、督办/领导、只读
_hasher = PasswordHasher()
MIN_PASSWORD = 8


class LoginFailed(WorkflowError):
    """Wrong user name or password (the message never says which)."""

    code = "login_failed"
    status = 401


class AccountLocked(WorkflowError):
    """Too many failed sign-ins: the account waits until `locked_until`."""

    code = "account_locked"
    status = 429


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for(user: User) -> Actor:
    return Actor("staff", user.username, user.display_name or user.username, role=user.role)


@dataclass
class NewUser:
    user: User
    token: str


async def add_user(db: Database, username: str, role: str, password: Optional[str] = None,
                   display_name: str = "") -> NewUser:
    """Create an account; returns it with its API token (shown once, kept only as a hash)."""
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise InvalidInput("用户名不能为空，且不超过 64 个字符。")
    if role not in ROLES:
        raise InvalidInput(f"角色只能是：{'、'.join(ROLES)}。")
    if password is not None:
        _check_password(password)
    token = secrets.token_urlsafe(32)
    async with UnitOfWork(db) as session:
        if await repo.user_by_name(session, username) is not None:
            raise InvalidInput(f"用户 {username} 已存在。")
        user = User(username=username, role=role, display_name=display_name or username,
                    password_hash=_hasher.hash(password) if password else None, token_hash=token_hash(token))
        session.add(user)
    return NewUser(user, token)


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def user_for_token(db: Database, token: str) -> Optional[User]:
    if not token:
        return None
    async with db.read() as session:
        user = await repo.user_by_token_hash(session, token_hash(token))
    return user if user is not None and user.active else None


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 个字符。", field="password")
    if len(password) > 256:
        raise InvalidInput("密码太长（最多 256 个字符）。", field="password")


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash and the session version: console sessions carry it, so a new
    password or a sign-out ends them."""
    return hashlib.sha256(f"{user.password_hash or ''}:{user.session_version or 0}".encode()).hexdigest()[:16]


async def end_sessions(db: Database, user_id: int) -> None:
    """Sign the account out everywhere: every console session cookie issued so far stops working."""
    async with UnitOfWork(db) as session:
        user = await session.get(User, user_id)
        if user is not None:
            user.session_version = (user.session_version or 0) + 1


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both answers take the same time."""
    return _hasher.hash(secrets.token_hex(16))


async def authenticate(db: Database, username: str, password: str, now: Optional[dt.datetime] = None,
                       address: str = "") -> User:
    """The active user whose password this is; LoginFailed or AccountLocked otherwise.

    Every answer costs one password check, whether the name exists or not, and says the same; failures
    are counted per name and `address` (login_throttle.py), so a stranger cannot lock an account for
    everyone else."""
    now = now or utcnow()
    username = (username or "").strip()[:64]
    paused = await login_throttle.paused_until(db, username, address, now)
    async with db.read() as session:
        user = await repo.user_by_name(session, username) if username and paused is None else None
    real = user is not None and user.active and bool(user.password_hash)
    if not real:
        await _verify_dummy(password)
    if paused is not None:
        raise AccountLocked(_locked_message(paused))
    if real and await asyncio.to_thread(verify_password, user, password or ""):
        await login_throttle.clear(db, username, address)
        return user
    until = await login_throttle.record_failure(db, username, address, now)
    if until is not None:
        raise AccountLocked(_locked_message(until))
    raise LoginFailed("用户名或密码不正确。")


async def _verify_dummy(password: str) -> None:
    def check():
        try:
            _hasher.verify(_dummy_hash(), password or "")
        except (VerificationError, InvalidHashError):
            pass
    await asyncio.to_thread(check)


def _locked_message(until: dt.datetime) -> str:
    local = beijing.local(until)
    return (f"登录失败次数过多，这台电脑上该用户名的登录已暂时锁定，请于 {local:%m-%d %H:%M}（北京时间）后再试，"
            f"或请管理员重设密码。")


async def set_password(db: Database, username: str, password: str) -> User:
    """A new password (which ends the user's console sessions); also lifts a lockout."""
    _check_password(password)
    new_hash = _hasher.hash(password)
    async with UnitOfWork(db) as session:
        user = await repo.user_by_name(session, (username or "").strip())
        if user is None:
            raise NotFound(f"找不到用户 {username}。")
        user.password_hash, user.failed_logins, user.locked_until = new_hash, 0, None
    await login_throttle.clear(db, user.username)
    return user


async def disable_user(db: Database, username: str) -> User:
    """Switch an account off: no sign-in, no API token; open console sessions end at their next request."""
    return await _set_active(db, username, False)


async def enable_user(db: Database, username: str) -> User:
    """Switch an account back on, its lockout cleared (its API token works again)."""
    return await _set_active(db, username, True)


async def _set_active(db: Database, username: str, active: bool) -> User:
    async with UnitOfWork(db) as session:
        user = await repo.user_by_name(session, (username or "").strip())
        if user is None:
            raise NotFound(f"找不到用户 {username}。")
        user.active = active
        if active:
            user.failed_logins, user.locked_until = 0, None
    if active:
        await login_throttle.clear(db, user.username)
    return user


async def user_by_id(db: Database, user_id: int) -> Optional[User]:
    async with db.read() as session:
        return await session.get(User, user_id)
