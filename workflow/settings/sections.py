"""The settings' sections: frozen dataclasses with the shipped defaults."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path


def _home() -> Path:
    """Where relative paths (data_dir, a SQLite file, key files) are taken from: $JIANYI_HOME when set, else the
    checkout the code runs from, else (an installed copy) the working directory — systemd's WorkingDirectory."""
    if os.environ.get("JIANYI_HOME"):
        return Path(os.environ["JIANYI_HOME"]).resolve()
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "run.py").is_file() else Path.cwd()


ROOT = _home()
# The shipped defaults travel inside the package (an installed copy has no checkout around it); the
# checkout's settings.toml is a link to this file.
DEFAULT_FILE = Path(__file__).resolve().parent / "defaults.toml"


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
    # `serve --role worker` (no web server): its /metrics on 127.0.0.1 at this port; 0 = none.
    metrics_port: int = 0
    # The reverse proxies (addresses or networks) whose X-Forwarded-For/-Proto name the client; empty =
    # not behind a proxy, forwarded headers are ignored.
    trusted_proxies: tuple[str, ...] = ()
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
    # Staff accept and assign a proposal made between sessions (闭会期间) within this period of its submission.
    interim_assign: Period = Period(10, "working_days")


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
class EvaluationSettings:
    """征询意见表: how the deputy rates a reply."""

    # 办理态度 and 办理结果 rated separately (two questions); false: one rating of the reply only.
    separate_attitude: bool = True


@dataclass(frozen=True)
class SessionSettings:
    """届/次: how the official numbers of a session's proposals read ({n}: the number in its sequence)."""

    session_number_format: str = "第{n}号"  # 大会期间提出的建议
    interim_number_format: str = "闭会第{n}号"  # 闭会期间提出的建议

    def __post_init__(self) -> None:
        for name in ("session_number_format", "interim_number_format"):
            template = getattr(self, name)
            if template.count("{n}") != 1 or len(template) > 24 or re.search(r"\{(?!n\})|(?<!\{n)\}", template):
                raise SettingsError(f"设置 sessions.{name}“{template}”应含且只含一个 {{n}}（建议序号），不超过 24 个字，"
                                    f"例如“第{{n}}号”。 / sessions.{name} must hold exactly one {{n}}.")


@dataclass(frozen=True)
class NameSettings:
    """The words this county uses: printed on letters, reports and pages."""

    place: str = "县"  # the region's short name in official titles: 《关于县十八届人大五次会议第24号建议的答复》
    committee: str = "县人大常委会"  # the standing committee
    staff_body: str = "代表工委"  # 代表工委 / 选联工委 / 联工委: the office that handles proposals
    government_office: str = "县政府办"  # copied (抄送) on every reply letter, with the staff body
    co_unit: str = "协办"  # 协办 / 会办: a unit that helps the lead unit


@dataclass(frozen=True)
class RulesSettings:
    """Which province's rules apply (workflow/settings/presets/, docs/presets.md): "" = the national defaults."""

    preset: str = ""  # 浙江、山东、上海、重庆、河南、北京、福建、四川、湖南 (or the pinyin: zhejiang)


@dataclass(frozen=True)
class OpinionSettings:
    """群众意见 (代表联络站): the referral's due date and what the public entry /o/<code> accepts."""

    # 转办: the unit or township answers within this period (no statute fixes one: docs/rules.md).
    referral_due: Period = Period(1, "months")
    # The public page: at most this many opinions from one address per window, and per code per hour.
    posts_per_address: int = 5
    address_window_seconds: int = 600
    posts_per_code_hour: int = 120
    # A citizen's rating (or check) posts on the receipt page: per address per window too.
    ratings_per_address: int = 20


@dataclass(frozen=True)
class ProjectSettings:
    """民生实事项目票决: the vote's rule and count, and how often the responsible unit reports progress."""

    # 地方组织法 art. 25: resolutions pass with more than half of all deputies (docs/rules.md); or top_n / majority_top_n.
    vote_rule: str = "majority_of_all"
    tally_mode: str = "approval"  # approval (赞成、反对、弃权) | ranking (排序计分)
    seats: int = 0  # 应选项目数 for the top-N rules (0: given with each vote)
    progress_every: Period = Period(1, "months")  # the unit reports progress at least this often
    posts_per_address: int = 5  # the public solicitation page, per address per window (as opinions.*)

    def __post_init__(self) -> None:
        from workflow.domain.projects import TALLY_MODES, VOTE_RULES

        if self.vote_rule not in VOTE_RULES or self.tally_mode not in TALLY_MODES or not 0 <= self.seats <= 1000:
            raise SettingsError(f"设置 projects.vote_rule 只能是 {'、'.join(VOTE_RULES)}，tally_mode 只能是 "
                                f"{'、'.join(TALLY_MODES)}。 / projects.vote_rule or tally_mode is not known.")


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
    sessions: SessionSettings = SessionSettings()
    evaluation: EvaluationSettings = EvaluationSettings()
    names: NameSettings = NameSettings()
    rules: RulesSettings = RulesSettings()
    opinions: OpinionSettings = OpinionSettings()
    projects: ProjectSettings = ProjectSettings()

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
    "calendar": CalendarSettings, "sessions": SessionSettings, "names": NameSettings,
    "evaluation": EvaluationSettings, "rules": RulesSettings, "opinions": OpinionSettings, "projects": ProjectSettings,
}
