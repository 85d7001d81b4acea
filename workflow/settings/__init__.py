"""Settings: read once at start from settings.toml, an override file and the environment.

Order (later wins, key by key): `settings.toml` at the project root, the provincial preset named by
`[rules] preset` (workflow/settings/presets/), the file named by env `JIANYI_SETTINGS`, then env
`JIANYI_<SECTION>_<KEY>`; `trace_settings` also says where each value came from. The result is validated into frozen
dataclasses; a wrong value stops the start with a message in Chinese and English.
"""
from __future__ import annotations

from .exposure import MIN_SECRET, SHIPPED_SECRETS, exposure_problems, is_loopback, new_secret
from .loading import Origin, TracedSettings, load_settings, trace_settings
from .sections import (  # noqa: F401 (_SECTION_TYPES: the settings' sections, read by tests and `rules show`)
    _SECTION_TYPES,
    DEFAULT_FILE,
    ROOT,
    AuditSettings,
    CalendarSettings,
    DashboardSettings,
    DatabaseSettings,
    DeadlineSettings,
    EvaluationSettings,
    NameSettings,
    NotifySettings,
    Period,
    RedisSettings,
    RulesSettings,
    ServerSettings,
    SessionSettings,
    Settings,
    SettingsError,
    WechatSettings,
    WorkflowSettings,
)

__all__ = [
    "MIN_SECRET", "SHIPPED_SECRETS", "exposure_problems", "is_loopback", "new_secret", "load_settings",
    "trace_settings", "Origin", "TracedSettings", "RulesSettings",
    "DEFAULT_FILE", "ROOT", "AuditSettings", "CalendarSettings", "DashboardSettings", "DatabaseSettings",
    "DeadlineSettings", "EvaluationSettings", "NameSettings", "SessionSettings", "NotifySettings", "Period", "RedisSettings", "ServerSettings", "Settings",
    "SettingsError", "WechatSettings", "WorkflowSettings",
]
