"""English titles of the indicator systems (criteria/en/): complete, display only, checked like the files."""
from __future__ import annotations

import shutil

import pytest

from evalsys.domain.criteria import CriteriaError, check_directory, default_criteria_dir, hash_bytes, load_system
from evalsys.domain.outlines import load_outline


def test_every_system_has_an_english_title_for_every_item():
    systems, problems = check_directory(default_criteria_dir())
    assert problems == [] and systems
    for s in systems:
        missing = [f"field {f.id}" for f in s.fields if not f.label_en]
        missing += [f"group {g.id}" for g in s.groups if not g.title_en]
        missing += [f"indicator {i.id}" for i in s.indicators if not i.title_en]
        missing += [f"category {c.code}" for c in s.categories if not c.label_en]
        missing += [f"guidance {i.id}" for i in s.indicators if i.guidance is not None and i.guidance_en is None]
        assert s.title_en and missing == [], (s.id, missing)


def test_outline_sections_have_english_titles():
    for kind in ("base", "enterprise"):
        sections = load_outline(default_criteria_dir(), kind)
        assert sections and all(s.title_en for s in sections), kind


def test_the_english_titles_leave_the_system_identity_unchanged(tmp_path):
    """A stored run names its system by the content hash of the criteria file: the titles file beside it is
    not part of that hash, so adding or correcting a translation never makes a stored run's system differ."""
    source = default_criteria_dir() / "base-2015-b2.v1.toml"
    shutil.copy(source, tmp_path / source.name)
    without = load_system(tmp_path / source.name)
    (tmp_path / "en").mkdir()
    shutil.copy(default_criteria_dir() / "en" / source.name, tmp_path / "en" / source.name)
    with_titles = load_system(tmp_path / source.name)
    assert without.sha256 == with_titles.sha256 == hash_bytes(source.read_bytes())
    assert without.groups[1].title_en == "" and with_titles.groups[1].title_en == "Foundation"
    assert [i.weight for i in without.indicators] == [i.weight for i in with_titles.indicators]
    plan_team = next(i for i in with_titles.indicators if i.id == "plan_team")
    assert plan_team.guidance_en.full.startswith("An approved development plan") and plan_team.guidance.full


@pytest.mark.parametrize("text, reason", [
    ('[indicators]\nno_such_indicator = "X"\n', "has no such id"),
    ('[groups]\nfoundation = "基础条件"\n', "Chinese characters or full-width punctuation"),
    ('[groups]\nfoundation = "Foundation（basics）"\n', "Chinese characters or full-width punctuation"),
    ('[colours]\nred = "Red"\n', "unknown section"),
    ('[guidance.floor_area]\nfull = "A"\npartial = "B"\nlow = "C"\n', "no indicator with guidance"),
    ('[guidance.plan_team]\nfull = "A"\npartial = "B"\n', "must hold exactly full, partial, low"),
    ('[guidance.plan_team]\nfull = "A"\npartial = "B"\nlow = "规划缺失"\n', "Chinese characters"),
])
def test_a_wrong_english_titles_file_is_refused(tmp_path, text, reason):
    source = default_criteria_dir() / "base-2015-b2.v1.toml"
    shutil.copy(source, tmp_path / source.name)
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / source.name).write_text(text, encoding="utf-8")
    with pytest.raises(CriteriaError) as refused:
        load_system(tmp_path / source.name)
    assert any(reason in p.reason for p in refused.value.problems), refused.value.problems
