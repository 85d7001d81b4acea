"""Secrets: what may not serve a public address, and how to make a new one."""
from __future__ import annotations

import ipaddress
import secrets
import string

from .sections import Settings

# What settings.toml ships: fine on this computer, never on an address others can reach.
SHIPPED_SECRETS = {"server.secret_key": "dev-secret-change-me", "wechat.token": "jianyi"}
MIN_SECRET = 32  # characters; WeChat's token is 3-32 letters or digits, so 32 is also its maximum


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this computer only (127.0.0.0/8, ::1, localhost)."""
    host = (host or "").strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_problems(settings: "Settings", host: str) -> list[str]:
    """Why these settings must not serve `host`: a shipped or short secret on an address others can reach
    (any non-loopback address, or an https public_url). Empty when they may."""
    public = not is_loopback(host) or settings.server.public_url.lower().startswith("https://")
    if not public:
        return []
    where = host if not is_loopback(host) else settings.server.public_url
    problems = []
    for name, value in (("server.secret_key", settings.server.secret_key), ("wechat.token", settings.wechat.token)):
        if value == SHIPPED_SECRETS[name] or value.startswith("dev-") or len(value) < MIN_SECRET:
            env = "JIANYI_" + name.replace(".", "_").upper()
            problems.append(
                f"{name} 仍是随软件发布的默认值或短于 {MIN_SECRET} 个字符，不能在对外地址（{where}）上使用："
                f"任何人都能用它伪造链接和消息。请运行 `python run.py secret` 生成一个，写入设置文件或环境变量 {env}。"
                f" / {name} is the shipped default or shorter than {MIN_SECRET} characters: refused on a public"
                f" address ({where}). Generate one with `python run.py secret` and set it in the settings file or {env}.")
    return problems


def new_secret(length: int = MIN_SECRET) -> str:
    """A random secret of letters and digits (what WeChat accepts as a token, and a strong secret_key)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
