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


# --- positions 1–2: who registered the holder, and the enterprise gate --------------------------------

def test_registration_reads_department_and_category():
    assert uscc.registration("91350100M000100Y43") == ("市场监管（工商）", "企业")
    assert uscc.registration(uscc.make("92", "320100", "MA0000001")) == ("市场监管（工商）", "个体工商户")
    assert uscc.registration(uscc.make("93", "320100", "MA0000001")) == ("市场监管（工商）", "农民专业合作社")
    assert uscc.registration(uscc.make("11", "110000", "000000001")) == ("机构编制", "机关")
    assert uscc.registration(uscc.make("52", "320100", "MJ0000001")) == ("民政", "民办非企业单位")
    assert uscc.registration(uscc.make("Y1", "320100", "000000001")) == ("其他", "其他")
    assert uscc.registration(uscc.make("94", "320100", "MA0000001")) is None  # 9 has no category 4
    assert uscc.registration(uscc.make("B1", "320100", "MA0000001")) is None  # no department B


@pytest.mark.parametrize("prefix", ["91", "93"])
def test_enterprises_and_cooperatives_pass_the_legal_entity_gate(prefix):
    assert uscc.legal_entity_refusal(uscc.make(prefix, "320100", "MA0000001")) is None


def test_an_individual_business_is_refused_saying_why():
    reason = uscc.legal_entity_refusal(uscc.make("92", "320100", "MA0000001"))
    assert reason is not None and "92" in reason and "个体工商户" in reason and "不具有法人资格" in reason


@pytest.mark.parametrize(("prefix", "named"), [("11", "机构编制"), ("12", "事业单位"), ("51", "社会团体"),
                                               ("53", "基金会"), ("31", "律师执业机构"), ("Y1", "其他"),
                                               ("N2", "村级集体经济组织")])
def test_organisations_not_registered_as_businesses_are_refused(prefix, named):
    reason = uscc.legal_entity_refusal(uscc.make(prefix, "320100", "000000001"))
    assert reason is not None and prefix in reason and named in reason and "不是市场监管部门登记的企业法人" in reason


def test_undefined_prefixes_and_invalid_codes_are_refused():
    assert "不是国家标准规定" in uscc.legal_entity_refusal(uscc.make("94", "320100", "MA0000001"))
    assert "校验位" in uscc.legal_entity_refusal(VALID[0][:-1] + "0")
