"""Reading the layers (settings.toml, the JIANYI_SETTINGS file, the environment) into Settings."""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Mapping

from .exposure import MIN_SECRET
from .sections import _SECTION_TYPES, DEFAULT_FILE, Period, Settings, SettingsError


def _merge(base: dict[str, dict[str, Any]], extra: Mapping[str, Any], origin: str) -> None:
    for section, values in extra.items():
        if section not in _SECTION_TYPES:
            raise SettingsError(f"{origin}：未知的设置节 [{section}]。 / {origin}: unknown section [{section}].")
        if not isinstance(values, Mapping):
            raise SettingsError(f"{origin}：[{section}] 应是一个设置节。 / {origin}: [{section}] must be a table.")
        base.setdefault(section, {}).update(values)


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for key, value in environ.items():
        if not key.startswith("JIANYI_") or key == "JIANYI_SETTINGS":
            continue
        rest = key[len("JIANYI_"):].lower()
        for section in _SECTION_TYPES:
            if rest.startswith(section + "_"):
                found.setdefault(section, {})[rest[len(section) + 1:]] = value
                break
    return found


def _coerce(section: str, name: str, kind: Any, value: Any) -> Any:
    where = f"{section}.{name}"
    try:
        if kind in (bool, "bool"):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on", "是"):
                return True
            if text in ("0", "false", "no", "off", "否"):
                return False
            raise ValueError
        if kind in (int, "int"):
            if isinstance(value, bool):
                raise ValueError
            number = int(value)
            if number < 0:
                raise ValueError
            return number
        if kind in (str, "str"):
            if not isinstance(value, (str, int, float)):
                raise ValueError
            return str(value)
        if kind in (Period, "Period"):
            return value if isinstance(value, Period) else Period.parse(value, name)
        if kind in ("tuple[str, ...]",):
            if isinstance(value, str):
                value = [v.strip() for v in re.split(r"[,，、]", value) if v.strip()]
            if not isinstance(value, (list, tuple)) or not value:
                raise ValueError
            return tuple(str(v) for v in value)
    except SettingsError:
        raise
    except (TypeError, ValueError):
        raise SettingsError(
            f"设置 {where} 的值“{value}”不正确（应为 {kind}）。 / {where} = {value!r} is not a valid {kind}."
        ) from None
    raise SettingsError(f"unsupported setting type {kind} for {where}")


def _build(merged: dict[str, dict[str, Any]]) -> Settings:
    sections = {}
    for section, cls in _SECTION_TYPES.items():
        values = merged.get(section, {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs = {}
        for name, value in values.items():
            if name not in known:
                raise SettingsError(
                    f"未知的设置 {section}.{name}。 / unknown setting {section}.{name}."
                )
            kwargs[name] = _coerce(section, name, known[name].type, value)
        sections[section] = cls(**kwargs)
    settings = Settings(**sections)
    _validate(settings)
    return settings


REDIS_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _validate(settings: Settings) -> None:
    url = settings.database.url
    if not (url.startswith("sqlite+aiosqlite://") or url.startswith("postgresql+asyncpg://")):
        raise SettingsError(
            f"database.url “{url}” 不受支持：请用 sqlite+aiosqlite:/// 或 postgresql+asyncpg://。"
            f" / database.url must start with sqlite+aiosqlite:// or postgresql+asyncpg://."
        )
    try:
        from workflow.domain.clock import zone_named
        zone_named(settings.server.timezone)
    except ValueError:
        raise SettingsError(f"server.timezone “{settings.server.timezone}” 不是有效的时区名（默认 Asia/Shanghai）。"
                            f" / server.timezone is not a known IANA time zone.") from None
    if not 0 < settings.server.port < 65536:
        raise SettingsError(f"server.port {settings.server.port} 不是有效端口。 / not a valid port.")
    if settings.redis.url and not settings.redis.url.startswith(("redis://", "rediss://", "unix://")):
        raise SettingsError("redis.url 应以 redis:// 开头，或留空使用内置 Redis。 / redis.url must be redis://... or empty.")
    if settings.redis.prefix and not REDIS_PREFIX.fullmatch(settings.redis.prefix):
        raise SettingsError("redis.prefix 只能由字母、数字和 : _ . - 组成（64 个字符以内），或留空由数据库的部署标识生成。"
                            " / redis.prefix must be 1-64 letters, digits or : _ . -, or empty.")
    if len(settings.server.secret_key) < 8:
        raise SettingsError("server.secret_key 太短（至少 8 个字符）。 / server.secret_key is too short.")
    if settings.server.link_ttl_days < 1:
        raise SettingsError("server.link_ttl_days 至少为 1。 / server.link_ttl_days must be at least 1.")
    if settings.audit.key and len(settings.audit.key) < MIN_SECRET:
        raise SettingsError(f"audit.key 太短（至少 {MIN_SECRET} 个字符；留空则使用密钥文件）。"
                            f" / audit.key must be at least {MIN_SECRET} characters (or empty: the key file).")
    if settings.wechat.encoding_aes_key and len(settings.wechat.encoding_aes_key) != 43:
        raise SettingsError("wechat.encoding_aes_key 应为 43 个字符。 / wechat.encoding_aes_key must be 43 characters.")


def load_settings(
    environ: Mapping[str, str] | None = None, base_file: Path | None = None
) -> Settings:
    """Read settings.toml, then the JIANYI_SETTINGS file, then JIANYI_* variables."""
    environ = os.environ if environ is None else environ
    merged: dict[str, dict[str, Any]] = {}
    for path in filter(None, [base_file or DEFAULT_FILE, environ.get("JIANYI_SETTINGS")]):
        path = Path(path)
        try:
            with path.open("rb") as handle:
                _merge(merged, tomllib.load(handle), str(path))
        except FileNotFoundError:
            raise SettingsError(f"找不到设置文件 {path}。 / settings file {path} not found.") from None
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"设置文件 {path} 格式错误：{exc} / {path} is not valid TOML: {exc}") from None
    _merge(merged, _env_overrides(environ), "environment")
    return _build(merged)
