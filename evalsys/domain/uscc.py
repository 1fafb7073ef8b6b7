"""Unified social credit code (统一社会信用代码, GB 32100-2015): check character and region."""
from __future__ import annotations
from .errors import InvalidInput, N_

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weights of positions 1–17 are 3^(i−1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


class USCCError(InvalidInput, ValueError):
    """A USCC that fails validation; the message is Chinese and fit to show beside the field."""


def check_character(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    """Strip surrounding blanks and upper-case, the only leniency we allow when a code is typed."""
    return code.strip().upper()


def validate(code: str) -> str:
    """Return the normalised code or raise USCCError explaining what is wrong."""
    code = normalise(code)
    if len(code) != 18:
        raise USCCError(N_("统一社会信用代码应为18位"))
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        raise USCCError(N_("统一社会信用代码含有不允许的字符：%(items)s（不使用I、O、Z、S、V）"), items='、'.join(bad))
    if not code[2:8].isdigit():
        raise USCCError(N_("统一社会信用代码第3至8位应为行政区划代码（数字）"))
    if check_character(code[:17]) != code[17]:
        raise USCCError(N_("统一社会信用代码校验位错误，请核对"))
    return code


def is_valid(code: str) -> bool:
    """True when `code` passes validate()."""
    try:
        validate(code)
    except USCCError:
        return False
    return True


def region_code(code: str) -> str:
    """Positions 3–8: the GB/T 2260 code of the registering region."""
    return normalise(code)[2:8]


def make(prefix2: str, region: str, body9: str) -> str:
    """Build a valid code from its parts (used by demo data and test factories)."""
    first17 = prefix2 + region + body9
    if len(first17) != 17:
        raise ValueError("prefix2 + region + body9 must be 17 characters")
    return first17 + check_character(first17)


# --- registration-management department and organisation category (positions 1 and 2) ------------
# GB 32100-2015 table 1, with the later additions A (military) and N (agriculture). Market
# regulation (9; 工商 in the standard's wording) registers enterprises, individual businesses
# and farmers' co-operatives.
DEPARTMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                   "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("市场监管（工商）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}
# Market-regulation categories that are legal persons in business: an enterprise (企业法人) and a
# farmers' co-operative (which acquires legal personality on registration). An individual
# business (个体工商户, 92…) is not a legal person.
_LEGAL_ENTITY_CATEGORIES = frozenset({"91", "93"})


def registration(code: str) -> tuple[str, str] | None:
    """(department, organisation category) named by positions 1–2, or None for a pair the
    standard does not define."""
    code = normalise(code)
    department = DEPARTMENTS.get(code[:1])
    if department is None or len(code) < 2 or code[1] not in department[1]:
        return None
    return department[0], department[1][code[1]]


def legal_entity_refusal(code: str) -> str | None:
    """Why the holder of `code` is not an independent legal entity registered as a business in
    China (the enterprise gate), in Chinese; None when it is: a valid code beginning 91 (enterprise)
    or 93 (farmers' co-operative)."""
    try:
        code = validate(code)
    except USCCError as exc:
        return str(exc)
    if code[:2] in _LEGAL_ENTITY_CATEGORIES:
        return None
    found = registration(code)
    if found is None:
        return f"统一社会信用代码前两位“{code[:2]}”不是国家标准规定的登记管理部门和机构类别代码"
    department, category = found
    if code[:2] == "92":
        return (f"统一社会信用代码前两位“92”表示由{department}部门登记的{category}，"
                "个体工商户不具有法人资格，不符合“境内独立法人”的申报条件")
    return (f"统一社会信用代码前两位“{code[:2]}”表示由{department}部门登记的{category}，"
            "不是市场监管部门登记的企业法人，不符合申报条件")
