"""USCC (GB 32100-2015) check character, forbidden letters, length, region code and region → authority."""
from __future__ import annotations

import pytest

from evalsys.domain import uscc
from evalsys.domain.authorities import AUTHORITIES, authority_for_region

VALID = ["91350100M000100Y43", "91110000600037341L", "91440300708461136T"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert uscc.validate(code) == code
    assert uscc.is_valid(code)


def test_typed_codes_are_normalised():
    assert uscc.validate("  91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize("code", VALID)
def test_every_other_check_character_is_refused(code):
    for ch in uscc.ALPHABET:
        if ch == code[-1]:
            continue
        with pytest.raises(uscc.USCCError, match="校验位"):
            uscc.validate(code[:-1] + ch)


@pytest.mark.parametrize("letter", list("IOZSV"))
@pytest.mark.parametrize("position", [9, 12, 17])
def test_letters_outside_the_alphabet_are_refused(letter, position):
    code = VALID[0][:position] + letter + VALID[0][position + 1:]
    with pytest.raises(uscc.USCCError) as err:
        uscc.validate(code)
    assert letter in str(err.value)
    assert not uscc.is_valid(code)


@pytest.mark.parametrize("code", ["", VALID[0][:17], VALID[0] + "0", VALID[1][:-2], "9135010"])
def test_wrong_length_is_refused(code):
    with pytest.raises(uscc.USCCError, match="18位"):
        uscc.validate(code)


@pytest.mark.parametrize("region", ["3501A0", "ABCDEF", "11000X"])
def test_non_digit_region_code_is_refused_even_with_a_correct_check_character(region):
    code = uscc.make("91", region, "M000100Y4")
    assert uscc.check_character(code[:17]) == code[17]
    with pytest.raises(uscc.USCCError, match="行政区划"):
        uscc.validate(code)


def test_make_builds_valid_codes():
    code = uscc.make("91", "210211", "MA0000001")
    assert uscc.is_valid(code) and uscc.region_code(code) == "210211"


@pytest.mark.parametrize("region, authority", [
    ("210211", "210200"),  # 大连 (separately-listed city)
    ("210200", "210200"),
    ("210100", "210000"),  # 沈阳 → 辽宁
    ("330212", "330200"),  # 宁波
    ("330100", "330000"),  # 杭州 → 浙江
    ("370212", "370200"),
    ("371300", "370000"),
    ("350206", "350200"),
    ("350100", "350000"),
    ("440305", "440300"),
    ("440100", "440000"),
    ("110105", "110000"),
    ("650100", "650000"),
])
def test_region_maps_to_city_or_province(region, authority):
    assert authority_for_region(region) == authority


@pytest.mark.parametrize("region", ["990000", "000000", "2102", "21021A"])
def test_unknown_or_malformed_region_has_no_authority(region):
    assert authority_for_region(region) is None


def test_valid_examples_map_to_their_authorities():
    names = {a.code: a.name for a in AUTHORITIES}
    got = {c: authority_for_region(uscc.region_code(c)) for c in VALID}
    assert got == {"91350100M000100Y43": "350000", "91110000600037341L": "110000",
                   "91440300708461136T": "440300"}
    assert names[authority_for_region("210211")] == "大连"


def test_no_region_maps_to_the_corps():
    # The Corps (660000) has no region code of its own; no six-digit code may default to it.
    assert all(authority_for_region(f"{p:02d}0100") != "660000" for p in range(10, 100))
