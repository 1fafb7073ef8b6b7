"""The templates' class: an import reuses the imported template's cached module unless the importing page
brings globals of its own, exactly when Jinja's own check would."""
from __future__ import annotations

import jinja2
import pytest

from evalsys.templating import Template

SOURCES = {
    "macros.html": "{% macro hello(name) %}{{ greeting }}, {{ name }}{% if extra is defined %} {{ extra }}{% endif %}"
                   "{% endmacro %}",
    "page.html": '{% from "macros.html" import hello %}{{ hello("甲") }}',
    "own.html": '{% from "macros.html" import hello %}{{ hello("甲") }}',
}


def _env(template_class) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(SOURCES), autoescape=True)
    env.template_class = template_class
    env.globals["greeting"] = "你好"
    return env


@pytest.mark.parametrize("template_class", [jinja2.Template, Template])
def test_an_import_reuses_the_cached_module_and_renders_as_jinja_does(template_class):
    env = _env(template_class)
    page = env.get_template("page.html")
    assert page.render() == page.render() == "你好, 甲"
    cached = env.get_template("macros.html")._module
    assert cached is not None
    page.render()
    assert env.get_template("macros.html")._module is cached


@pytest.mark.parametrize("template_class", [jinja2.Template, Template])
def test_a_page_with_globals_of_its_own_gives_them_to_the_imported_macros(template_class):
    env = _env(template_class)
    env.get_template("page.html").render()  # the shared module is cached first
    own = env.get_template("own.html", globals={"extra": "！"})
    assert own.render() == "你好, 甲 ！"
    assert env.get_template("page.html").render() == "你好, 甲"


def test_the_app_renders_its_pages_with_this_class(app):
    assert app.jinja_env.template_class is Template
    with app.app_context():
        assert isinstance(app.jinja_env.get_template("_list.html"), Template)
