"""Provincial presets (`[rules] preset = "浙江"`): a province's sourced figures, applied between the shipped
defaults (settings.toml) and the user's own file.

Each preset is a file `<pinyin>.toml` in this folder. It names every rule setting in PRESET_SETTINGS once, under
`[figures.<section>.<key>]`, either with a `value` and its source (regulation, article, the quoted words, the
address they were read at), or with `unsourced = "未找到出处：..."`: then the national default stays. A figure
is never applied without its source; docs/presets.md lists them all.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from ..sections import SettingsError

FOLDER = Path(__file__).resolve().parent

# The rule settings a preset speaks to. Every preset file lists each of them, sourced or not.
PRESET_SETTINGS = (
    "deadlines.sign", "deadlines.adjustment", "deadlines.adjustment_decision", "deadlines.opinion",
    "deadlines.reply", "deadlines.reply_max", "deadlines.rehandle", "deadlines.evaluation",
    "deadlines.interim_assign", "workflow.rehandle_limit", "workflow.withdraw_needs_co_signer_consent",
    "evaluation.separate_attitude",
)
SOURCE_FIELDS = ("regulation", "article", "quote", "url")
UNSOURCED_MARK = "未找到出处"


@dataclass(frozen=True)
class Figure:
    """One rule setting in a preset: a sourced value, or (value None) the national default and why."""

    setting: str
    value: Any = None
    regulation: str = ""
    article: str = ""
    quote: str = ""
    url: str = ""
    ref: str = ""  # the source's number in docs/rules.md (S18), when it is listed there
    note: str = ""  # unsourced: why the national default stays; sourced: how the rule differs from ours

    @property
    def sourced(self) -> bool:
        return self.value is not None

    def citation(self) -> str:
        """《regulation》article, as `rules show` prints it."""
        return f"《{self.regulation}》{self.article}" if self.sourced else self.note


@dataclass(frozen=True)
class Preset:
    id: str  # the file's name, in pinyin: "zhejiang"
    name: str  # "浙江"
    title: str  # "浙江省"
    summary: str
    figures: tuple[Figure, ...]

    def figure(self, setting: str) -> Optional[Figure]:
        return next((f for f in self.figures if f.setting == setting), None)

    def values(self) -> dict[str, dict[str, Any]]:
        """The sourced values as settings sections ({"deadlines": {"reply": "3 months"}})."""
        found: dict[str, dict[str, Any]] = {}
        for f in self.figures:
            if f.sourced:
                section, key = f.setting.split(".", 1)
                found.setdefault(section, {})[key] = f.value
        return found


def _figure(path: Path, setting: str, table: Any) -> Figure:
    where = f"{path.name}: {setting}"
    if not isinstance(table, dict):
        raise SettingsError(f"预设文件 {where} 应是一个表。 / {where} must be a table.")
    unsourced = str(table.get("unsourced", "")).strip()
    if "value" in table:
        missing = [k for k in SOURCE_FIELDS if not str(table.get(k, "")).strip()]
        if missing or unsourced:
            raise SettingsError(f"预设文件 {where} 的数值缺少出处（{'、'.join(missing) or 'unsourced'}）。"
                                f" / {where}: a value needs {', '.join(SOURCE_FIELDS)} and no 'unsourced'.")
        return Figure(setting, table["value"], *(str(table[k]).strip() for k in SOURCE_FIELDS),
                      ref=str(table.get("ref", "")), note=str(table.get("note", "")))
    if UNSOURCED_MARK not in unsourced:
        raise SettingsError(f"预设文件 {where} 既无数值也未写明“{UNSOURCED_MARK}”。"
                            f" / {where}: give a sourced value or unsourced = '{UNSOURCED_MARK}: ...'.")
    return Figure(setting, note=unsourced)


def read_preset(path: Path) -> Preset:
    """One preset file, checked: every PRESET_SETTINGS entry is there once, sourced or marked unsourced."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    figures = []
    for section, keys in data.get("figures", {}).items():
        for key, table in keys.items():
            setting = f"{section}.{key}"
            if setting not in PRESET_SETTINGS:
                raise SettingsError(f"预设文件 {path.name} 含有不是预设项的 {setting}。"
                                    f" / {path.name}: {setting} is not a preset setting.")
            figures.append(_figure(path, setting, table))
    missing = [s for s in PRESET_SETTINGS if s not in {f.setting for f in figures}]
    if missing or not data.get("name"):
        raise SettingsError(f"预设文件 {path.name} 缺少 {'、'.join(missing) or 'name'}。"
                            f" / {path.name} lacks {', '.join(missing) or 'name'}.")
    order = {s: i for i, s in enumerate(PRESET_SETTINGS)}
    return Preset(path.stem, str(data["name"]), str(data.get("title", data["name"])), str(data.get("summary", "")),
                  tuple(sorted(figures, key=lambda f: order[f.setting])))


@lru_cache(maxsize=1)
def known_presets() -> tuple[Preset, ...]:
    return tuple(read_preset(path) for path in sorted(FOLDER.glob("*.toml")))


def find_preset(name: str) -> Optional[Preset]:
    """The preset named `name` (浙江, 浙江省 or zhejiang); None for an empty name; SettingsError if unknown."""
    wanted = str(name).strip()
    if not wanted:
        return None
    for preset in known_presets():
        if wanted in (preset.name, preset.title) or wanted.lower() == preset.id:
            return preset
    listed = "、".join(f"{p.name}（{p.id}）" for p in known_presets())
    raise SettingsError(f"设置 rules.preset 的值“{wanted}”不是已有的省级预设。可用的预设：{listed}；留空则使用全国默认值。"
                        f" / rules.preset = {wanted!r} is not a known preset; known: "
                        f"{', '.join(p.id for p in known_presets())}.")
