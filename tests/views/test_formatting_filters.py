"""Templates format numbers through the filters built on domain/formatting.py."""
from __future__ import annotations


def test_the_same_functions_are_the_page_filters(app):
    with app.test_request_context("/"):
        env = app.jinja_env
        out = env.from_string("{{ 123456789|money }}|{{ 1240000000|wanyuan }}|{{ 0.9|pct }}|{{ 8125|bp_pct }}|"
                              "{{ 89.995|score }}|{{ 21500.0|unit('元') }}|{{ '楼堂馆所'|code_label('X-BLD') }}").render()
    assert out == "1,234,567.89 元|1,240.00 万元|90.0%|81.25%|90.00|21,500 元|楼堂馆所（X-BLD）"


def test_in_english_the_units_are_english_and_the_numbers_the_same(app):
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        out = app.jinja_env.from_string("{{ 123456789|money }}|{{ 1240000000|wanyuan }}|{{ 1500|unit('人') }}|"
                                        "{{ 0.9|pct }}|{{ none|money }}").render()
    assert out == "1,234,567.89 yuan|12,400,000.00 yuan|1,500 persons|90.0%|—"
