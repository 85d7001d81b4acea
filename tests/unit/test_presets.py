"""Provincial presets (workflow/settings/presets/, docs/presets.md): every figure carries its source or says it
has none, and the layers stack as documented: shipped defaults < preset < the user's file < the environment."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.api import assert_bilingual
from workflow.settings import Period, SettingsError, load_settings, trace_settings
from workflow.settings.presets import PRESET_SETTINGS, UNSOURCED_MARK, find_preset, known_presets, read_preset

ROOT = Path(__file__).resolve().parents[2]
PROVINCES = {"浙江", "山东", "上海", "重庆", "河南", "北京", "福建", "四川", "湖南"}
ARTICLE = re.compile(r"^第[一二三四五六七八九十百零]+条")


def _file(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return {"JIANYI_SETTINGS": str(path)}


def test_the_provinces_of_the_issue_all_have_a_preset():
    assert PROVINCES <= {p.name for p in known_presets()}


@pytest.mark.parametrize("preset", known_presets(), ids=lambda p: p.id)
def test_every_figure_of_a_preset_has_its_regulation_article_and_words_or_says_it_has_none(preset):
    assert [f.setting for f in preset.figures] == list(PRESET_SETTINGS)
    for figure in preset.figures:
        if figure.sourced:
            assert figure.regulation and ARTICLE.match(figure.article), figure
            assert len(figure.quote) >= 10 and figure.url.startswith("http"), figure
        else:
            assert figure.note.startswith(UNSOURCED_MARK) and "默认" in figure.note, figure


@pytest.mark.parametrize("preset", known_presets(), ids=lambda p: p.id)
def test_a_preset_sets_exactly_its_sourced_figures_and_leaves_the_rest_at_the_national_default(preset):
    national, ruled = load_settings(environ={}), load_settings(environ={"JIANYI_RULES_PRESET": preset.id})
    for figure in preset.figures:
        section, key = figure.setting.split(".")
        got, default = getattr(getattr(ruled, section), key), getattr(getattr(national, section), key)
        if figure.sourced:
            assert got == (Period.parse(figure.value, key) if isinstance(default, Period) else figure.value)
        else:
            assert got == default, figure.setting


def test_the_preset_beats_the_shipped_defaults():
    chongqing = load_settings(environ={"JIANYI_RULES_PRESET": "重庆"}).deadlines
    assert chongqing.rehandle == Period(2, "months") and chongqing.evaluation == Period(20, "working_days")
    national = load_settings(environ={}).deadlines
    assert national.rehandle == Period(1, "months") and national.evaluation == Period(15, "working_days")


def test_the_users_file_beats_the_preset_it_names(tmp_path):
    env = _file(tmp_path, '[rules]\npreset = "重庆"\n[deadlines]\nrehandle = "1 months"\n')
    traced = trace_settings(environ=env)
    assert traced.preset.name == "重庆"
    assert traced.settings.deadlines.rehandle == Period(1, "months")  # the county's own figure
    assert traced.settings.deadlines.evaluation == Period(20, "working_days")  # still the preset's
    assert traced.origin("deadlines.rehandle").label() == f"设置文件 {env['JIANYI_SETTINGS']}"
    assert traced.origin("deadlines.evaluation").label().startswith("预设（重庆：《重庆市实施")


def test_the_environment_beats_both_and_may_name_the_preset_itself(tmp_path):
    env = _file(tmp_path, '[rules]\npreset = "重庆"\n[deadlines]\nrehandle = "1 months"\n')
    env.update({"JIANYI_DEADLINES_REHANDLE": "3 months", "JIANYI_RULES_PRESET": "shandong"})
    traced = trace_settings(environ=env)
    assert traced.preset.name == "山东"  # the environment's preset, not the file's
    assert traced.settings.deadlines.rehandle == Period(3, "months")
    assert traced.settings.deadlines.evaluation == Period(15, "working_days")  # 重庆 is not in force
    assert traced.settings.deadlines.adjustment == Period(5, "days")
    assert traced.origin("deadlines.rehandle").label() == "环境变量 JIANYI_DEADLINES_REHANDLE"


def test_a_preset_is_found_by_its_name_its_full_title_or_its_pinyin():
    assert find_preset("浙江") is find_preset("浙江省") is find_preset("Zhejiang") is find_preset(" zhejiang ")
    assert find_preset("") is None


@pytest.mark.parametrize("where", ["environment", "file"])
def test_an_unknown_preset_stops_the_start_with_the_known_ones_listed_in_chinese(tmp_path, where):
    env = {"JIANYI_RULES_PRESET": "广东"} if where == "environment" else _file(tmp_path, '[rules]\npreset = "广东"\n')
    with pytest.raises(SettingsError) as raised:
        load_settings(environ=env)
    message = str(raised.value)
    assert_bilingual(message, "rules.preset", "广东")
    assert all(name in message for name in PROVINCES) and "可用的预设" in message


def test_an_unsourced_figure_says_so_where_it_comes_from():
    traced = trace_settings(environ={"JIANYI_RULES_PRESET": "山东"})
    assert traced.settings.deadlines.sign == Period(3, "working_days")
    assert traced.origin("deadlines.sign").label() == "默认（山东预设：未找到出处）"
    assert "第十二条" in traced.origin("deadlines.adjustment").label()
    assert traced.origin("deadlines.reminder").label() == "默认"  # not a preset setting at all


def test_without_a_preset_every_rule_comes_from_the_defaults():
    traced = trace_settings(environ={})
    assert traced.preset is None and traced.settings.rules.preset == ""
    assert {traced.origin(s).label() for s in PRESET_SETTINGS} == {"默认"}


@pytest.mark.parametrize("text, english", [
    ('name = "某省"\n[figures.deadlines.reply]\nvalue = "2 months"\narticle = "第一条"\n', "a value needs"),
    ('name = "某省"\n[figures.deadlines.reply]\nunsourced = "以后再查"\n', "unsourced"),
    ('name = "某省"\n[figures.deadlines.reminder]\nunsourced = "未找到出处"\n', "not a preset setting"),
    ('name = "某省"\n', "lacks deadlines.sign"),
], ids=["value-without-source", "unsourced-without-mark", "not-a-preset-setting", "figures-missing"])
def test_a_preset_file_without_sources_is_refused(tmp_path, text, english):
    path = tmp_path / "mousheng.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        read_preset(path)
    assert_bilingual(str(raised.value), english)


def test_docs_presets_lists_every_preset_and_every_sourced_article():
    text = (ROOT / "docs" / "presets.md").read_text(encoding="utf-8")
    for preset in known_presets():
        assert f"`{preset.id}`" in text and preset.title in text, preset.id
        for figure in preset.figures:
            if figure.sourced:
                assert figure.article in text and figure.quote[:12] in text, (preset.id, figure.setting)
