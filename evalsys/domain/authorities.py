"""The 37 recommending authorities of domain.md §2 and the region-code rule of §10, as plain data."""
from __future__ import annotations

from dataclasses import dataclass

from evalsys.domain.marking import N_


@dataclass(frozen=True)
class AuthorityInfo:
    """One recommending authority: GB/T 2260 code, short name, official name, kind, parent."""

    code: str
    name: str
    full_name: str
    kind: str  # province | city | corps
    parent_code: str | None = None


def _p(code: str, name: str, full: str) -> AuthorityInfo:
    return AuthorityInfo(code, name, full, "province")


# Frozen: the codes are stable ids referenced by migrations and stored rows. Add, never edit.
# The short name is the region's name: marked for the catalogue, the English interface shows it in English.
# The official names are organisation names and stay as they are.
AUTHORITIES: tuple[AuthorityInfo, ...] = (
    _p("110000", N_("北京"), "北京市商务委员会"),
    _p("120000", N_("天津"), "天津市商务委员会"),
    _p("130000", N_("河北"), "河北省商务厅"),
    _p("140000", N_("山西"), "山西省商务厅"),
    _p("150000", N_("内蒙古"), "内蒙古自治区商务厅"),
    _p("210000", N_("辽宁"), "辽宁省商务厅"),
    _p("220000", N_("吉林"), "吉林省商务厅"),
    _p("230000", N_("黑龙江"), "黑龙江省商务厅"),
    _p("310000", N_("上海"), "上海市商务委员会"),
    _p("320000", N_("江苏"), "江苏省商务厅"),
    _p("330000", N_("浙江"), "浙江省商务厅"),
    _p("340000", N_("安徽"), "安徽省商务厅"),
    _p("350000", N_("福建"), "福建省商务厅"),
    _p("360000", N_("江西"), "江西省商务厅"),
    _p("370000", N_("山东"), "山东省商务厅"),
    _p("410000", N_("河南"), "河南省商务厅"),
    _p("420000", N_("湖北"), "湖北省商务厅"),
    _p("430000", N_("湖南"), "湖南省商务厅"),
    _p("440000", N_("广东"), "广东省商务厅"),
    _p("450000", N_("广西"), "广西壮族自治区商务厅"),
    _p("460000", N_("海南"), "海南省商务厅"),
    _p("500000", N_("重庆"), "重庆市商务委员会"),
    _p("510000", N_("四川"), "四川省商务厅"),
    _p("520000", N_("贵州"), "贵州省商务厅"),
    _p("530000", N_("云南"), "云南省商务厅"),
    _p("540000", N_("西藏"), "西藏自治区商务厅"),
    _p("610000", N_("陕西"), "陕西省商务厅"),
    _p("620000", N_("甘肃"), "甘肃省商务厅"),
    _p("630000", N_("青海"), "青海省商务厅"),
    _p("640000", N_("宁夏"), "宁夏回族自治区商务厅"),
    _p("650000", N_("新疆"), "新疆维吾尔自治区商务厅"),
    AuthorityInfo("210200", N_("大连"), "大连市商务局", "city", "210000"),
    AuthorityInfo("370200", N_("青岛"), "青岛市商务局", "city", "370000"),
    AuthorityInfo("330200", N_("宁波"), "宁波市商务委员会", "city", "330000"),
    AuthorityInfo("350200", N_("厦门"), "厦门市商务局", "city", "350000"),
    AuthorityInfo("440300", N_("深圳"), "深圳市经济贸易和信息化委员会", "city", "440000"),
    AuthorityInfo("660000", N_("新疆生产建设兵团"), "新疆生产建设兵团商务局", "corps", "650000"),
)

AUTHORITY_CODES = frozenset(a.code for a in AUTHORITIES)
_CITY_PREFIX = {a.code[:4]: a.code for a in AUTHORITIES if a.kind == "city"}
_PROVINCE_PREFIX = {a.code[:2]: a.code for a in AUTHORITIES if a.kind == "province"}


def authority_for_region(region_code: str) -> str | None:
    """The authority responsible for a GB/T 2260 region code (domain.md §10), or None if unknown.

    A code under a separately-listed city (2102xx 大连 …) belongs to that city; any other code to
    its province. The Corps has no region code of its own, so no USCC maps to it by default.
    """
    if len(region_code) != 6 or not region_code.isdigit():
        return None
    if region_code[:4] in _CITY_PREFIX:
        return _CITY_PREFIX[region_code[:4]]
    return _PROVINCE_PREFIX.get(region_code[:2])
