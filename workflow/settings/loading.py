"""Reading the layers into Settings, and recording where each value came from (`run.py rules show`).

Order, later wins key by key: settings.toml (the shipped defaults), the provincial preset named by
`[rules] preset` in any layer (workflow/settings/presets/), the file named by env JIANYI_SETTINGS, then
env JIANYI_<SECTION>_<KEY>.
"""
from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from .exposure import MIN_SECRET
from .presets import Preset, find_preset
from .sections import _SECTION_TYPES, DEFAULT_FILE, Period, Settings, SettingsError


@dataclasses.dataclass(frozen=True)
class Origin:
    """Where one setting's value came from."""

    kind: str  # "default" | "preset" | "file" | "environment"
    where: str = ""  # the preset's name, the file's path, the variable's name
    detail: str = ""  # preset: the regulation and article; default under a preset: why the preset keeps it

    def label(self) -> str:
        if self.kind == "preset":
            return f"预设（{self.where}：{self.detail}）"
        if self.kind == "file":
            return f"设置文件 {self.where}"
        if self.kind == "environment":
            return f"环境变量 {self.where}"
        return f"默认（{self.where}预设：未找到出处）" if self.where else "默认"


DEFAULT = Origin("default")


@dataclasses.dataclass(frozen=True)
class TracedSettings:
    """The settings, the preset in force (None: the national defaults) and each value's origin."""

    settings: Settings
    preset: Optional[Preset]
    origins: Mapping[str, Origin]  # "deadlines.reply" -> Origin; a setting no layer names is DEFAULT

    def origin(self, name: str) -> Origin:
        return self.origins.get(name, DEFAULT)


def _merge(base: dict[str, dict[str, Any]], extra: Mapping[str, Any], origin: str,
           origins: Optional[dict[str, Origin]] = None, origin_of: Callable[[str, str], Origin] = lambda s, k: DEFAULT,
           ) -> None:
    for section, values in extra.items():
        if section not in _SECTION_TYPES:
            raise SettingsError(f"{origin}：未知的设置节 [{section}]。 / {origin}: unknown section [{section}].")
        if not isinstance(values, Mapping):
            raise SettingsError(f"{origin}：[{section}] 应是一个设置节。 / {origin}: [{section}] must be a table.")
        base.setdefault(section, {}).update(values)
        if origins is not None:
            origins.update({f"{section}.{key}": origin_of(section, key) for key in values})


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The JIANYI_<SECTION>_<KEY> values by section, and each one's variable name by "section.key"."""
    found: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith("JIANYI_") or key == "JIANYI_SETTINGS":
            continue
        rest = key[len("JIANYI_"):].lower()
        for section in _SECTION_TYPES:
            if rest.startswith(section + "_"):
                found.setdefault(section, {})[rest[len(section) + 1:]] = value
                names[f"{section}.{rest[len(section) + 1:]}"] = key
                break
    return found, names


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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"找不到设置文件 {path}。 / settings file {path} not found.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"设置文件 {path} 格式错误：{exc} / {path} is not valid TOML: {exc}") from None


def _named_preset(*layers: Mapping[str, Any]) -> str:
    """`rules.preset` as the last layer that names it says (a malformed [rules] is reported by _merge)."""
    name = ""
    for layer in layers:
        rules = layer.get("rules")
        if isinstance(rules, Mapping) and "preset" in rules:
            name = str(rules["preset"])
    return name


def trace_settings(environ: Mapping[str, str] | None = None, base_file: Path | None = None) -> TracedSettings:
    """Read the layers (settings.toml, the preset, the JIANYI_SETTINGS file, JIANYI_* variables), noting each
    value's origin."""
    environ = os.environ if environ is None else environ
    base_path = Path(base_file or DEFAULT_FILE)
    base = _read_toml(base_path)
    user_path = environ.get("JIANYI_SETTINGS")
    user = _read_toml(Path(user_path)) if user_path else {}
    env, env_names = _env_overrides(environ)
    merged: dict[str, dict[str, Any]] = {}
    origins: dict[str, Origin] = {}
    _merge(merged, base, str(base_path), origins)
    preset = find_preset(_named_preset(base, user, env))
    if preset is not None:
        cited = {f.setting: f.citation() for f in preset.figures}
        _merge(merged, preset.values(), f"预设{preset.name}", origins,
               lambda s, k: Origin("preset", preset.name, cited[f"{s}.{k}"]))
        for figure in preset.figures:  # the preset found no source: the national default stays, and says why
            if not figure.sourced:
                origins[figure.setting] = Origin("default", preset.name, figure.note)
    if user_path:
        _merge(merged, user, str(user_path), origins, lambda s, k: Origin("file", str(user_path)))
    _merge(merged, env, "environment", origins, lambda s, k: Origin("environment", env_names[f"{s}.{k}"]))
    return TracedSettings(_build(merged), preset, origins)


def load_settings(
    environ: Mapping[str, str] | None = None, base_file: Path | None = None
) -> Settings:
    """Read settings.toml, the preset it or a later layer names, the JIANYI_SETTINGS file, then JIANYI_* variables."""
    return trace_settings(environ, base_file).settings
