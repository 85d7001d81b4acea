"""Console and API accounts: argon2-hashed passwords, API tokens kept only as hashes, roles."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage import repositories as repo
from storage.db import Database
from storage.models import User

from .errors import InvalidInput
from .rules import Actor

ROLES = {"admin": "管理员", "staff": "工作人员", "supervisor": "督办/领导", "viewer": "只读"}
_hasher = PasswordHasher()


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
    if password is not None and len(password) < 8:
        raise InvalidInput("密码至少 8 个字符。")
    token = secrets.token_urlsafe(32)
    async with db.write() as session:
        async with session.begin():
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
