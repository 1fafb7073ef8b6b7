"""The English catalogue covers every string the code and templates mark for translation."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def _marked() -> set[tuple[str, str | None]]:
    """Every (msgid, context) extracted from the package with the project's babel.cfg."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _, _, message, _, context in extract_from_dir(str(ROOT), method_map, options_map):
        found.add((message if isinstance(message, str) else message[0], context))
    return {(m, c) for m, c in found if m}


def _catalogue():
    with open(ROOT / "evalsys/translations/en/LC_MESSAGES/messages.po", "rb") as f:
        return read_po(f)


def test_every_marked_string_has_an_english_translation():
    cat = _catalogue()
    missing = sorted(m if c is None else f"{c}|{m}" for m, c in _marked()
                     if not (cat.get(m, c) and cat.get(m, c).string and not cat.get(m, c).fuzzy))
    assert missing == [], f"{len(missing)} untranslated, e.g. {missing[:5]} — run pybabel extract/update"


def test_translations_keep_their_placeholders_and_leave_no_chinese():
    for msg in _catalogue():
        if not msg.id or not msg.string:
            continue
        assert sorted(PLACEHOLDER.findall(msg.id)) == sorted(PLACEHOLDER.findall(msg.string)), msg.id
        assert not re.search(r"[\u4e00-\u9fff]", msg.string), msg.id
