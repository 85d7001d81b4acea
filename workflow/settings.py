"""Settings: read once at start from settings.toml, an override file and the environment.

Order (later wins, key by key): `settings.toml` at the project root, the file named by env
`JIANYI_SETTINGS`, then env `JIANYI_<SECTION>_<KEY>`. The result is validated into frozen
dataclasses; a wrong value stops the start with a message in Chinese and English.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import secrets
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "settings.toml"


class SettingsError(ValueError):
    """A setting has a wrong value: the message names it, in Chinese and English."""


@dataclass(frozen=True)
class Period:
    """A deadline length: `amount` days, working days or months."""

    amount: int
    unit: str  # "days" | "working_days" | "months"

    _PATTERN = re.compile(r"^\s*(\d+)\s*(days?|working\s+days?|months?|天|工作日|个月|月)\s*$")

    @classmethod
    def parse(cls, text: str, name: str) -> "Period":
        match = cls._PATTERN.match(str(text))
        if not match:
            raise SettingsError(
                f"设置 deadlines.{name} 的值“{text}”无法识别，应写成“10 days”“3 working days”或“3 months”。"
                f" / deadlines.{name} = {text!r} is not '<n> days', '<n> working days' or '<n> months'."
            )
        word = match.group(2)
        if word.startswith("working") or word == "工作日":
            unit = "working_days"
        elif word.startswith("month") or word in ("个月", "月"):
            unit = "months"
        else:
            unit = "days"
        return cls(int(match.group(1)), unit)

    def __str__(self) -> str:
        return {"days": "{} 天", "working_days": "{} 个工作日", "months": "{} 个月"}[self.unit].format(self.amount)


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    secret_key: str = field(default="dev-secret-change-me", repr=False)
    link_ttl_days: int = 400
    data_dir: str = "data"
    # GET /metrics: empty = only from this computer (not through a proxy); else this bearer token.
    metrics_token: str = field(default="", repr=False)
    # The one clock: every date ("today", a due date, a proposal's year) is a date in this zone.
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/jianyi.db"


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""
    # Every key this deployment writes starts with it. Empty: "jianyi:<deployment id>:", the random id
    # the database got when it was created, so deployments sharing one Redis never see each other's keys.
    prefix: str = ""


@dataclass(frozen=True)
class WechatSettings:
    token: str = field(default="jianyi", repr=False)
    app_id: str = ""
    app_secret: str = field(default="", repr=False)
    encoding_aes_key: str = field(default="", repr=False)
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    # Template message used when the 48-hour customer-service window is closed (first/keyword1..3/remark).
    template_id: str = ""
    # Web OAuth (snsapi_base) that tells a meeting's scoring page which WeChat user is scoring.
    oauth_authorize_url: str = "https://open.weixin.qq.com/connect/oauth2/authorize"


@dataclass(frozen=True)
class DeadlineSettings:
    sign: Period = Period(3, "working_days")
    adjustment: Period = Period(10, "days")
    opinion: Period = Period(1, "months")
    reply: Period = Period(3, "months")
    reply_max: Period = Period(6, "months")
    rehandle: Period = Period(1, "months")
    evaluation: Period = Period(15, "working_days")
    reminder: Period = Period(3, "working_days")
    # Staff decide a unit's adjustment request (改派 or not) within this period.
    adjustment_decision: Period = Period(10, "working_days")
    # 民法典 art. 203: a period counted in days or months that ends on a rest day ends on the next working day.
    rest_day_shift: bool = True


@dataclass(frozen=True)
class NotifySettings:
    max_attempts: int = 6  # then the message is parked in the dead-letter stream
    backoff_seconds: int = 2  # first retry after this, doubling each time
    redeliver_after_seconds: int = 600  # relayed but not delivered this long: relay again (Redis lost it)
    claim_idle_seconds: int = 60  # a message a dead worker held this long is claimed by another
    stream_maxlen: int = 100000
    batch: int = 200
    scheduler_interval_seconds: int = 300


@dataclass(frozen=True)
class WorkflowSettings:
    categories: tuple[str, ...] = ("经济", "城建", "教育", "医疗", "农业", "社会", "法治", "其他")
    # Re-handlings a deputy's 不满意 opens; a further 不满意 waits for staff to decide (研究处理).
    rehandle_limit: int = 1
    # A unit a proposal is reassigned to (改派) gets a fresh reply period from the reassignment (else the old due date).
    reassign_fresh_period: bool = True
    # Withdrawing a joint proposal needs every confirmed co-signer's consent (as Shanghai requires).
    withdraw_needs_co_signer_consent: bool = False


@dataclass(frozen=True)
class DashboardSettings:
    # A unit is ranked only with at least this many proposals led, so one quick case does not top the list.
    min_proposals: int = 3


@dataclass(frozen=True)
class AuditSettings:
    # The key of the event log's HMAC chain, kept outside the database. Empty: read from `key_file`,
    # which is created (32 random bytes, permissions 0600) on first use; empty key_file:
    # <data_dir>/audit/chain.key. Back it up apart from the database.
    key: str = field(default="", repr=False)
    key_file: str = ""
    # Where anchors (receipts of the chains' heads) are appended; empty: <data_dir>/audit.
    anchor_dir: str = ""
    # The server appends an anchor this often when events were written since the last one (0: never).
    anchor_interval_seconds: int = 3600


@dataclass(frozen=True)
class CalendarSettings:
    """Holidays of a year the State Council has published but neither chinese-calendar nor a shipped file
    knows yet (国务院办公厅 annual 节假日安排通知). Entries: "2027-02-06" or "2027-02-06~2027-02-13 春节".
    Staff may also enter them on the console (/console/calendar), which wins over these."""

    rest_days: tuple[str, ...] = ()  # 放假日
    work_days: tuple[str, ...] = ()  # 调休上班日

    def __post_init__(self) -> None:
        from workflow.domain.holidays import HolidayDataError, entered_years

        try:
            entered_years(self.rest_days, self.work_days, "settings")
        except HolidayDataError as exc:
            raise SettingsError(f"设置 calendar.rest_days / calendar.work_days 有误：{exc.message}"
                                f" / calendar.rest_days or work_days: a wrong day or range.") from None


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    wechat: WechatSettings = WechatSettings()
    deadlines: DeadlineSettings = DeadlineSettings()
    workflow: WorkflowSettings = WorkflowSettings()
    notify: NotifySettings = NotifySettings()
    dashboard: DashboardSettings = DashboardSettings()
    audit: AuditSettings = AuditSettings()
    calendar: CalendarSettings = CalendarSettings()

    def data_path(self, *parts: str) -> Path:
        base = Path(self.server.data_dir)
        if not base.is_absolute():
            base = ROOT / base
        return base.joinpath(*parts)

    def audit_key_file(self) -> Path:
        """Where the chain key is read from (and created on first use)."""
        return self._under_root(self.audit.key_file) if self.audit.key_file else self.data_path("audit", "chain.key")

    def audit_anchor_dir(self) -> Path:
        """The folder of anchors.log and the heads of the newest anchors."""
        return self._under_root(self.audit.anchor_dir) if self.audit.anchor_dir else self.data_path("audit")

    @staticmethod
    def _under_root(path: str) -> Path:
        return Path(path) if Path(path).is_absolute() else ROOT / path

    def database_url(self) -> str:
        """The database URL with a relative SQLite path made absolute under the project root."""
        url = self.database.url
        prefix = "sqlite+aiosqlite:///"
        if url.startswith(prefix) and not url[len(prefix):].startswith("/") and ":memory:" not in url:
            return prefix + str(ROOT / url[len(prefix):])
        return url


_SECTION_TYPES = {
    "server": ServerSettings, "database": DatabaseSettings, "redis": RedisSettings,
    "wechat": WechatSettings, "deadlines": DeadlineSettings, "workflow": WorkflowSettings,
    "notify": NotifySettings, "dashboard": DashboardSettings, "audit": AuditSettings,
    "calendar": CalendarSettings,
}


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
