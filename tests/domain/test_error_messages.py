"""Refusal texts are marked templates: the services and domain rules raise refusals whose Chinese text is a
catalogue entry (`N_`) with named values, never a bare literal or an f-string; every such template has an
English entry whose placeholders match; a refusal reads Chinese and renders in another language on demand."""
from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from evalsys.domain.errors import N_, DomainError, InvalidInput, Message, localize, text_of

ROOT = Path(__file__).resolve().parents[2]
CHECKED = [ROOT / "evalsys" / "services", ROOT / "evalsys" / "domain"]
CATALOGUE = ROOT / "evalsys" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # words; a lone "、" joining names is not a text
FULL_WIDTH = re.compile(r"[（）：，；。！？【】、“”]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
MARKERS = {"N_", "Message"}


def _refusal_names() -> set[str]:
    """Names of every refusal class the services and domain define (subclasses of DomainError)."""
    import importlib
    import pkgutil

    import evalsys.domain
    import evalsys.services

    names = {"DomainError"}
    for pkg in (evalsys.domain, evalsys.services):
        for info in pkgutil.iter_modules(pkg.__path__):
            module = importlib.import_module(f"{pkg.__name__}.{info.name}")
            names |= {k for k, v in vars(module).items() if isinstance(v, type) and issubclass(v, DomainError)}
    return names


def _called_name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def unmarked_refusals(source: str, refusals: set[str], where: str = "<source>") -> list[str]:
    """Raise sites whose text is not a marked template: a Chinese literal or f-string outside `N_(...)`
    anywhere in the raised call (message, problems, field errors), or an f-string given to a refusal."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        call = node.exc
        marked = {id(n) for c in ast.walk(call) if isinstance(c, ast.Call) and _called_name(c) == "N_"
                  for n in ast.walk(c)}
        is_refusal = _called_name(call) in refusals
        for n in ast.walk(call):
            if id(n) in marked:
                continue
            text = ast.get_source_segment(source, n) or ""
            if isinstance(n, ast.JoinedStr) and (is_refusal or CHINESE.search(text)):
                found.append(f"{where}:{n.lineno}: f-string {text[:60]}")
                marked |= {id(x) for x in ast.walk(n)}
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and CHINESE.search(n.value):
                found.append(f"{where}:{n.lineno}: literal {text[:60]}")
    return found


def _sources():
    for folder in CHECKED:
        for path in sorted(folder.glob("*.py")):
            yield path, path.read_text(encoding="utf-8")


def test_the_check_catches_unmarked_refusal_texts():
    sample = '''
def f(name, used, names):
    raise AccountError("用户名已存在")
    raise QuotaError(f"{name} 的推荐名额已满（{used}）")
    raise QuotaError(f"quota of {name}")
    raise ValueError("得分必须是数字")
    raise RunRefused(N_("排名失败"), ["申报编号 1 缺少数据"])
    raise QuotaError(N_("缺少：%(items)s"), items="、".join(names))
    raise AccountError(N_("用户名已存在"))
    raise QuotaError(N_("%(name)s 的推荐名额已满"), name=name)
    raise UploadRejected("size", N_("文件过大"))
    raise RuntimeError("not for people")
'''
    found = unmarked_refusals(sample, {"AccountError", "QuotaError", "RunRefused", "UploadRejected"})
    assert [line.split(": ")[1].split()[0] for line in found] == ["literal", "f-string", "f-string", "literal",
                                                                "literal"]
    assert [int(line.split(":")[1]) for line in found] == [3, 4, 5, 6, 7]  # line 8 joins names: not a text


def test_no_service_or_domain_rule_raises_an_unmarked_text():
    refusals = _refusal_names()
    assert {"AccountError", "TransitionError", "UploadRejected", "MoneyError"} <= refusals
    found = [line for path, source in _sources()
             for line in unmarked_refusals(source, refusals, str(path.relative_to(ROOT)))]
    assert found == []


def _templates() -> dict[str, str]:
    """Every text marked with N_ in the services and domain, with where it is."""
    out: dict[str, str] = {}
    for path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and _called_name(node) == "N_" and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                out.setdefault(node.args[0].value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return out


def _placeholders(text: str) -> set[tuple[str, str]]:
    return set(PLACEHOLDER.findall(text))


def test_every_marked_template_has_an_english_entry_with_the_same_placeholders():
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    templates = _templates()
    assert len(templates) > 300
    problems = []
    for msgid, where in sorted(templates.items(), key=lambda kv: kv[1]):
        if not CHINESE.search(msgid):
            continue
        entry = catalogue.get(msgid)
        english = entry.string if entry is not None else ""
        if not english or not english.strip():
            problems.append(f"{where}: no English for {msgid!r}")
        elif _placeholders(english) != _placeholders(msgid):
            problems.append(f"{where}: placeholders differ: {msgid!r} -> {english!r}")
        elif FULL_WIDTH.search(english) or CHINESE.search(english):
            problems.append(f"{where}: Chinese or full-width punctuation in {english!r}")
    assert problems == []


def test_the_placeholder_comparison_can_fail():
    assert _placeholders("名额已满（%(used)d/%(quota)d）") != _placeholders("Quota full (%(used)s/%(quota)d)")
    assert _placeholders("%(n)s×%(n)s") == _placeholders("%(n)s by %(n)s")


# -- the refusal itself -------------------------------------------------------------------------------

ENGLISH = {
    "%(name)s 的推荐名额已满（%(used)d/%(quota)d）": "The quota of %(name)s is full (%(used)d/%(quota)d)",
    "当前状态为“%(state)s”": "The current state is \"%(state)s\"",
    "已推荐": "Recommended",
    "名额未保存": "The quota was not saved",
    "名额不能为负数": "A quota cannot be negative",
    "图片“%(image)s”：%(reason)s": "Image \"%(image)s\": %(reason)s",
    "文件为空": "The file is empty",
}


def translate(text: str) -> str:
    return ENGLISH.get(text, text)


class QuotaError(DomainError):
    pass


def test_a_refusal_reads_chinese_and_renders_in_the_language_given():
    e = QuotaError(N_("%(name)s 的推荐名额已满（%(used)d/%(quota)d）"), name="江苏省商务厅", used=8, quota=8)
    assert e.message == str(e) == "江苏省商务厅 的推荐名额已满（8/8）"
    assert type(e.message) is str and e.lines() == ["江苏省商务厅 的推荐名额已满（8/8）"]
    assert e.translated(translate) == ["The quota of 江苏省商务厅 is full (8/8)"]


def test_problems_render_each_on_its_own_line_and_labels_among_the_values_are_translated():
    state = Message(N_("当前状态为“%(state)s”"), state=Message(N_("已推荐")))
    e = InvalidInput(N_("名额未保存"), [N_("名额不能为负数"), state, "第3行"])
    assert e.status == 422
    assert e.problems == ["名额不能为负数", "当前状态为“已推荐”", "第3行"]
    assert all(type(p) is str for p in e.problems)
    assert e.translated(translate) == ["The quota was not saved", "A quota cannot be negative",
                                       "The current state is \"Recommended\"", "第3行"]


def test_a_refusal_given_as_a_value_renders_with_its_message():
    inner = InvalidInput(N_("文件为空"))
    outer = QuotaError(N_("图片“%(image)s”：%(reason)s"), image="a.png", reason=inner.text)
    assert outer.message == "图片“a.png”：文件为空"
    assert outer.translated(translate) == ["Image \"a.png\": The file is empty"]
    plain = ValueError(Message(N_("文件为空")))
    assert text_of(plain) == "文件为空" and localize(text_of(plain), translate) == "The file is empty"
    assert Message(N_("图片“%(image)s”：%(reason)s"), image="b.png", reason=plain).render(translate) == \
        "Image \"b.png\": The file is empty"


def test_a_translation_that_lost_a_placeholder_falls_back_to_the_chinese_text():
    m = Message(N_("%(name)s 的推荐名额已满（%(used)d/%(quota)d）"), name="甲", used=1, quota=1)
    assert m.render(lambda s: "Full: %(who)s") == "甲 的推荐名额已满（1/1）"


def test_a_plain_text_is_never_formatted_and_a_message_survives_pickling():
    assert localize("完成率 100%", translate) == "完成率 100%"
    assert Message("完成率 100%").render(translate) == "完成率 100%"
    m = Message(N_("%(name)s 的推荐名额已满（%(used)d/%(quota)d）"), name="乙", used=2, quota=3)
    again = pickle.loads(pickle.dumps(m))
    assert again == m and again.render(translate) == "The quota of 乙 is full (2/3)"


@pytest.mark.parametrize("raise_it", [
    lambda: QuotaError(N_("%(name)s 的推荐名额已满（%(used)d/%(quota)d）"), name="丙", used=1),  # a value missing
])
def test_a_template_without_its_values_is_an_error_at_the_raise_site(raise_it):
    with pytest.raises(KeyError):
        raise_it()


def test_joined_texts_take_the_separator_of_the_language():
    from evalsys.domain.assignment import Shortage, explain_shortages
    from evalsys.domain.errors import Joined

    parts = Joined([N_("文件为空"), "第3行"])
    assert parts == "文件为空；第3行"
    both = {"；": "; ", "文件为空": "The file is empty"}
    assert parts.render(lambda s: both.get(s, s)) == "The file is empty; 第3行"
    assert pickle.loads(pickle.dumps(parts)).render(translate) == "The file is empty；第3行"
    text = explain_shortages([Shortage(1, Message(N_("申报#%(id)s"), id=1), 3, 2)], {1: 5})
    assert "申报#1需5名、可评3名、缺2名" in text
    english = {"；": "; ", "申报#%(id)s": "Application #%(id)s",
               "%(application)s需%(needed)s名、可评%(eligible)s名、缺%(missing)s名":
                   "%(application)s needs %(needed)s, %(eligible)s eligible, %(missing)s missing"}
    assert Message(N_("（%(parts)s）"), parts=text.params["parts"]).render(lambda s: english.get(s, s)) == \
        "（Application #1 needs 5, 3 eligible, 2 missing）"
