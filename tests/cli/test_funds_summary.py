"""`flask funds summary --format json`: the contract of issue 6, item 8."""
from __future__ import annotations

import json

from evalsys.extensions import db
from evalsys.services import funds_ledger
from tests.fundsutil import make_allocation, make_base, make_entry

KEYS = ["base", "authority", "allocated_fen", "received_fen", "spent_fen", "arrival_rate", "execution_rate",
        "open_flags"]


def _setup(app) -> None:
    with app.app_context():
        # Created out of code order: the output must still be ordered by base code.
        b2 = make_base(code="B1-02", authority_code="440300", region="440305")
        b1 = make_base(code="B1-01", authority_code="330000", region="330100")
        make_base(code="B1-03")
        a = make_allocation(b1, year=2013, amount_fen=16_000_00, received_fen=16_000_00)
        funds_ledger.verify_expenditure(make_entry(a, amount_fen=13_000_00))
        make_allocation(b1, year=2014, amount_fen=4_000_00, received_fen=0)
        a2 = make_allocation(b2, year=2014, amount_fen=3_00, received_fen=3_00)
        funds_ledger.verify_expenditure(make_entry(a2, amount_fen=1_00, category="X-LND", date=a2.period_start))
        db.session.commit()


def _run(runner, *args: str) -> list[dict]:
    result = runner.invoke(args=["funds", "summary", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_summary_json_contract(app, runner):
    _setup(app)
    rows = _run(runner, "--format", "json")
    assert [r["base"] for r in rows] == ["B1-01", "B1-02", "B1-03"]
    assert all(list(r) == KEYS for r in rows)
    b1, b2, b3 = rows
    assert b1["authority"] == "330000" and b2["authority"] == "440300"
    assert (b1["allocated_fen"], b1["received_fen"], b1["spent_fen"]) == (20_000_00, 16_000_00, 13_000_00)
    assert (b1["arrival_rate"], b1["execution_rate"]) == ("0.8000", "0.8125")
    assert (b2["arrival_rate"], b2["execution_rate"]) == ("1.0000", "0.3333")
    # Each entry lacks a voucher scan; the X-LND one is also a forbidden category.
    assert (b1["open_flags"], b2["open_flags"]) == (1, 2)
    assert b3 == {"base": "B1-03", "authority": "320000", "allocated_fen": 0, "received_fen": 0, "spent_fen": 0,
                  "arrival_rate": None, "execution_rate": None, "open_flags": 0}
    assert all(isinstance(r[k], int) and not isinstance(r[k], bool)
               for r in rows for k in ("allocated_fen", "received_fen", "spent_fen", "open_flags"))


def test_summary_for_one_year(app, runner):
    _setup(app)
    rows = {r["base"]: r for r in _run(runner, "--year", "2014", "--format", "json")}
    assert (rows["B1-01"]["allocated_fen"], rows["B1-01"]["received_fen"]) == (4_000_00, 0)
    assert rows["B1-01"]["arrival_rate"] == "0.0000" and rows["B1-01"]["execution_rate"] is None
    assert rows["B1-01"]["open_flags"] == 0
    assert rows["B1-02"]["spent_fen"] == 1_00


def test_summary_on_an_empty_database_and_text_format(app, runner):
    assert _run(runner, "--format", "json") == []
    _setup(app)
    result = runner.invoke(args=["funds", "summary"])
    assert result.exit_code == 0 and "B1-01" in result.output and "0.8125" in result.output
    assert runner.invoke(args=["funds", "summary", "--format", "xml"]).exit_code != 0
