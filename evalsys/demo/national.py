"""National-scale data on top of the demo (`flask --app evalsys demo --national`): ten times one
year's programme, for benchmarks. Written with bulk Core inserts (executemany), never row by row
through the ORM; loaded once (a system flag marks it, so a second run adds nothing).

At scale 1: an enterprise call with 3,300 applications spread over the 37 authorities as China's
e-commerce was (east far ahead of the centre, the centre ahead of the west), 150 more reviewers,
5 complete score sheets per application and an official ranking run per category; 300 more bases
with five years of allocations and tranches and 60,000 expenditures; 20,000 notifications; and
the audit records of all of it (110,000+), chained like every other record. `scale` multiplies the
volumes (tests load 1/100 of them).
"""
from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from ..domain.funds import ExpenditureStatus
from ..domain.marking import N_
from ..domain.workflow import ApplicationState
from ..extensions import db
from ..models import (Application, Assignment, AssignmentState, AuditRecord, Call, FirstBatchBase, Notification,
                      Organisation, OrganisationState, ReviewerProfile, ReviewerState, Role, Score, ScoreSheet,
                      SheetState, SystemFlag, User)
from ..models.funds import Allocation, Expenditure, FundAccount, Tranche
from ..models.types import utcnow
from . import demo_uscc, person_name
from .data import ENTERPRISE_KINDS, ENTERPRISE_STEMS, REGIONS

FLAG = "national_data"
CALL_CODE = "national-2015-2016"
SOURCE_CALL = "enterprise-2015-2016"
SEED = 2015
CHUNK = 5_000

# Relative weight of each authority in China's e-commerce (east ≫ centre > west; domain.md §2–§3).
WEIGHTS = {
    # east
    "440000": 12, "330000": 12, "320000": 10, "310000": 8, "110000": 8, "370000": 6, "350000": 5,
    "440300": 5, "330200": 3, "120000": 3, "130000": 3, "350200": 2, "370200": 2, "210000": 2, "210200": 2,
    "460000": 1,
    # centre
    "410000": 3, "420000": 3, "430000": 2.5, "340000": 2.5, "360000": 1.5, "140000": 1, "220000": 1,
    "230000": 1,
    # west
    "510000": 3, "500000": 2, "610000": 1.5, "450000": 1, "530000": 1, "520000": 1, "150000": 0.6,
    "620000": 0.5, "650000": 0.5, "640000": 0.3, "630000": 0.3, "540000": 0.2, "660000": 0.2,
}
VOLUME = {"applications": 3_300, "reviewers": 150, "bases": 300, "expenditures_per_allocation": 40,
          "notifications": 20_000, "extra_audit": 30_000}
# The Corps has no region code of its own: its firms register in its cities (石河子 659001).
_REGIONS = {**REGIONS, "660000": [("659001", "石河子")]}
YEARS = (2013, 2014, 2015, 2016, 2017)
CATEGORIES = ("PSP", "TEC", "INC", "TRN", "LOG", "PRO", "STD", "FIN", "EVA")


def spread(total: int) -> dict[str, int]:
    """`total` items over the authorities in proportion to WEIGHTS (largest remainders)."""
    weight_sum = sum(WEIGHTS.values())
    exact = {code: total * w / weight_sum for code, w in WEIGHTS.items()}
    counts = {code: int(v) for code, v in exact.items()}
    for code in sorted(exact, key=lambda c: exact[c] - counts[c], reverse=True)[: total - sum(counts.values())]:
        counts[code] += 1
    return counts


def _n(key: str, scale: float) -> int:
    return max(1, round(VOLUME[key] * scale))


def _insert(model, rows: Iterable[dict]) -> None:
    """executemany in chunks (psycopg batches them; SQLite runs them in one statement loop)."""
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            db.session.execute(insert(model), batch)
            batch = []
    if batch:
        db.session.execute(insert(model), batch)


def _ids(stmt) -> list[int]:
    return list(db.session.scalars(stmt))


class _Audit:
    """Audit rows of the bulk load, written in chunks (chained afterwards like any record)."""

    def __init__(self, actor: User | None) -> None:
        self.rows: list[dict] = []
        self.actor = actor
        self.count = 0

    def add(self, event: str, object_type: str, object_id: object, at: datetime, detail: dict | None = None,
            user: tuple[int | None, str | None, str | None] | None = None) -> None:
        uid, uname, role = user or ((self.actor.id, self.actor.username, self.actor.role.value)
                                    if self.actor else (None, None, None))
        self.rows.append({"created_at": at, "user_id": uid, "username": uname, "role": role, "ip": "127.0.0.1",
                          "event": event, "object_type": object_type, "object_id": str(object_id),
                          "outcome": "success", "request_id": None,
                          "detail": json.dumps({"source": "national", **(detail or {})}, ensure_ascii=False,
                                               sort_keys=True)})
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            # created_at order = id order, as for records written live.
            self.rows.sort(key=lambda r: r["created_at"])
            db.session.execute(insert(AuditRecord), self.rows)
            self.count += len(self.rows)
            self.rows = []


def load_national(scale: float = 1.0, pw_hash: str | None = None) -> dict[str, int]:
    """Add the national volume once (after load_demo); returns what was created (empty if present)."""
    if db.session.get(SystemFlag, FLAG) is not None:
        return {}
    rng = random.Random(SEED)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    source = db.session.scalar(select(Call).where(Call.code == SOURCE_CALL))
    if admin is None or source is None:
        raise RuntimeError("load the demo first")
    pw_hash = pw_hash or admin.password_hash
    log = _Audit(admin)
    counts: dict[str, int] = {}
    counts.update(_reviewers(scale, pw_hash, log))
    counts.update(_enterprise_call(scale, source, pw_hash, log, rng))
    counts.update(_funds(scale, pw_hash, log, rng))
    counts.update(_notifications(scale, log, rng))
    _background_events(scale, log, rng)
    log.flush()
    counts["audit_records"] = log.count
    db.session.add(SystemFlag(key=FLAG, value=json.dumps({"scale": scale})))
    db.session.flush()
    counts["runs"] = _rank(admin)
    return counts


# --- reviewers -----------------------------------------------------------------------------------

def _reviewers(scale: float, pw_hash: str, log: _Audit) -> dict[str, int]:
    n = max(_n("reviewers", scale), 20)  # enough for five per application from other provinces
    homes = list(WEIGHTS)
    now = utcnow()
    _insert(User, ({"username": f"n-reviewer{i:03d}", "role": Role.REVIEWER, "password_hash": pw_hash,
                    "demo_password": True, "display_name": f"{person_name(i + 500)}（专家）",
                    "authority_code": homes[i % len(homes)]} for i in range(1, n + 1)))
    users = db.session.execute(select(User.id, User.username, User.authority_code)
                               .where(User.username.like("n-reviewer%")).order_by(User.id)).all()
    _insert(ReviewerProfile, ({"user_id": u.id, "name": person_name(i + 500), "home_authority_code": u.authority_code,
                               "state": ReviewerState.ACTIVE, "field_tags": "网络零售,跨境电商", "created_at": now,
                               "created_by_id": log.actor.id} for i, u in enumerate(users, start=1)))
    for u in users:
        log.add("user_created", "users", u.id, now, {"role": "reviewer"})
        log.add("reviewer_profile_created", "reviewer_profiles", u.username, now)
    return {"reviewers": n}


# --- the enterprise call -------------------------------------------------------------------------

def _copy_call(source: Call) -> int:
    table = Call.__table__
    row = dict(db.session.execute(select(table).where(table.c.id == source.id)).mappings().one())
    row.pop("id")
    row.update(code=CALL_CODE, title="2015—2016年度电子商务示范企业（全国规模）", quota_per_authority=200)
    return db.session.execute(insert(table).values(**row).returning(table.c.id)).scalar_one()


def _enterprise_call(scale: float, source: Call, pw_hash: str, log: _Audit, rng: random.Random) -> dict[str, int]:
    from ..services.applications import system_of
    from ..services.review_sheets import expert_indicators

    call_id = _copy_call(source)
    call = db.session.get(Call, call_id)
    # Figures and narratives of the demo's own applications, reused so every application is complete.
    samples = db.session.execute(select(Application.figures, Application.narrative, Application.category)
                                 .where(Application.call_id == source.id, Application.id.in_(
                                     select(Assignment.application_id).where(Assignment.call_id == source.id)))
                                 .order_by(Application.id)).all()
    per_authority = spread(_n("applications", scale))
    orgs, serial = [], 200_000
    for code, count in per_authority.items():
        regions = _REGIONS[code]
        for k in range(count):
            region, place = regions[k % len(regions)]
            serial += 1
            name = f"{place}{ENTERPRISE_STEMS[serial % len(ENTERPRISE_STEMS)]}{ENTERPRISE_KINDS[k % len(ENTERPRISE_KINDS)]}{serial}"
            orgs.append({"uscc": demo_uscc(region, serial), "name": name, "authority_code": code,
                         "state": OrganisationState.VERIFIED, "verified_at": call.opens_at})
    _insert(Organisation, orgs)
    org_rows = db.session.execute(select(Organisation.id, Organisation.authority_code)
                                  .where(Organisation.uscc.in_([o["uscc"] for o in orgs]))
                                  .order_by(Organisation.id)).all() if len(orgs) < 30_000 else []
    _insert(User, ({"username": f"n-applicant{i:05d}", "role": Role.APPLICANT, "password_hash": pw_hash,
                    "demo_password": True, "display_name": person_name(i), "organisation_id": o.id,
                    "is_org_main": True} for i, o in enumerate(org_rows, start=1)))
    submitted = call.closes_at - timedelta(days=3)
    apps = []
    for i, o in enumerate(org_rows):
        figures, narrative, category = samples[i % len(samples)]
        apps.append({"call_id": call_id, "organisation_id": o.id, "authority_code": o.authority_code,
                     "state": ApplicationState.SCORED, "category": category, "figures": figures,
                     "narrative": narrative, "contact_name": person_name(i), "submitted_at": submitted,
                     "created_at": submitted - timedelta(days=10), "updated_at": call.review_ends_at,
                     "recommend_order": None})
    _insert(Application, apps)
    app_rows = db.session.execute(select(Application.id, Application.authority_code)
                                  .where(Application.call_id == call_id).order_by(Application.id)).all()
    for a in app_rows:
        log.add("organisation_registered", "organisations", a.id, submitted - timedelta(days=20))
        log.add("application_submitted", "applications", a.id, submitted, {"to": "submitted"})
        log.add("application_recommended", "applications", a.id, call.recommend_deadline - timedelta(days=1))
        log.add("application_passed", "applications", a.id, call.review_starts_at - timedelta(days=1))
    # Five reviewers per application, never from its own authority (nor its province).
    pool = db.session.execute(select(ReviewerProfile.id, ReviewerProfile.home_authority_code)
                              .join(User, User.id == ReviewerProfile.user_id)
                              .where(User.username.like("n-reviewer%")).order_by(ReviewerProfile.id)).all()
    per_app = call.reviewers_per_application
    assigned_at = call.review_starts_at + timedelta(hours=2)
    assignments = []
    for k, a in enumerate(app_rows):
        province = a.authority_code[:2]
        chosen: list[int] = []
        j = k * per_app
        while len(chosen) < per_app:
            p = pool[j % len(pool)]
            j += 1
            if p.home_authority_code[:2] != province and p.id not in chosen:
                chosen.append(p.id)
        assignments += [{"call_id": call_id, "application_id": a.id, "reviewer_id": r, "source": "auto",
                         "state": AssignmentState.ACTIVE, "no_conflict_confirmed_at": assigned_at,
                         "created_at": assigned_at, "created_by_id": log.actor.id} for r in chosen]
    _insert(Assignment, assignments)
    done_at = call.review_ends_at - timedelta(days=1)
    assignment_ids = _ids(select(Assignment.id).where(Assignment.call_id == call_id).order_by(Assignment.id))
    _insert(ScoreSheet, ({"assignment_id": i, "state": SheetState.SUBMITTED, "submitted_at": done_at,
                          "updated_at": done_at, "comment": ""} for i in assignment_ids))
    sheets = db.session.execute(select(ScoreSheet.id, Assignment.application_id)
                                .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                                .where(Assignment.call_id == call_id).order_by(ScoreSheet.id)).all()
    indicators = expert_indicators(system_of(call))
    quality = {a.id: rng.uniform(0.45, 0.9) for a in app_rows}
    _insert(Score, ({"sheet_id": s.id, "indicator_id": ind.id,
                     "tenths": int(round(min(1.0, max(0.0, quality[s.application_id] + rng.gauss(0, 0.03)))
                                         * ind.max * 10)), "comment": ""}
                    for s in sheets for ind in indicators))
    for s in sheets:
        log.add("assignment_created", "assignments", s.id, assigned_at)
        log.add("score_sheet_submitted", "score_sheets", s.id, done_at)
    return {"organisations": len(org_rows), "applications": len(app_rows), "assignments": len(assignments),
            "score_sheets": len(sheets)}


def _rank(admin: User) -> int:
    """The official run per category, by the same service as the ranking page."""
    from ..services import runs

    call = db.session.scalar(select(Call).where(Call.code == CALL_CODE))
    made = runs.run_call(call, samples=runs.DEFAULT_SAMPLES, seed=SEED, actor=admin)
    db.session.flush()
    return len(made)


# --- funds ---------------------------------------------------------------------------------------

def _funds(scale: float, pw_hash: str, log: _Audit, rng: random.Random) -> dict[str, int]:
    per_authority = spread(_n("bases", scale))
    orgs, bases, serial = [], [], 300_000
    for code, count in per_authority.items():
        for k in range(count):
            region, place = _REGIONS[code][k % len(_REGIONS[code])]
            serial += 1
            orgs.append({"uscc": demo_uscc(region, serial), "name": f"{place}电子商务产业园{serial}运营管理有限公司",
                         "authority_code": code, "state": OrganisationState.VERIFIED, "verified_at": utcnow()})
            bases.append({"code": f"N-{serial}", "name": f"{place}电子商务示范基地（{serial}）", "city": place,
                          "authority_code": code})
    _insert(Organisation, orgs)
    org_ids = _ids(select(Organisation.id).where(Organisation.uscc.in_([o["uscc"] for o in orgs]))
                   .order_by(Organisation.id))
    for base, org_id in zip(bases, org_ids, strict=True):
        base["organisation_id"] = org_id
    _insert(User, ({"username": f"n-baseop{i:04d}", "role": Role.APPLICANT, "password_hash": pw_hash,
                    "demo_password": True, "display_name": person_name(i + 900), "organisation_id": org_id,
                    "is_org_main": True} for i, org_id in enumerate(org_ids, start=1)))
    _insert(FirstBatchBase, bases)
    base_ids = _ids(select(FirstBatchBase.id).where(FirstBatchBase.code.like("N-%")).order_by(FirstBatchBase.id))
    _insert(Allocation, ({"base_id": b, "year": y, "amount_fen": (300 + (b * 7 + y) % 500) * 1_000_000,
                          "document_no": f"商财发〔{y}〕{100 + b % 900}号", "purpose": "示范基地公共服务体系建设",
                          "period_start": dt.date(y, 1, 1), "period_end": dt.date(y + 2, 12, 31),
                          "created_by_id": log.actor.id, "created_at": _utc(y, 3, 1), "version_id": 1}
                         for b in base_ids for y in YEARS))
    allocations = db.session.execute(select(Allocation.id, Allocation.year, Allocation.amount_fen)
                                     .where(Allocation.base_id.in_(base_ids)).order_by(Allocation.id)).all()
    tranches, accounts, entries = [], [], []
    per = VOLUME["expenditures_per_allocation"]
    for a in allocations:
        first, second = a.amount_fen * 6 // 10, a.amount_fen - a.amount_fen * 6 // 10
        tranches += [{"allocation_id": a.id, "date": dt.date(a.year, 4, 1), "amount_fen": first,
                      "document_no": f"拨付{a.id}-1", "created_by_id": log.actor.id, "version_id": 1},
                     {"allocation_id": a.id, "date": dt.date(a.year, 10, 1), "amount_fen": second,
                      "document_no": f"拨付{a.id}-2", "created_by_id": log.actor.id, "version_id": 1}]
        # Spending stays well within the receipts (the account's CHECK): 60–90 % of the allocation.
        budget = a.amount_fen * rng.randint(60, 90) // 100
        verified = 0
        for k in range(per):
            amount = budget // per
            status = ExpenditureStatus.VERIFIED if k % 10 else ExpenditureStatus.PENDING
            verified += amount if status == ExpenditureStatus.VERIFIED else 0
            category = CATEGORIES[(a.id + k) % len(CATEGORIES)]
            entries.append({"allocation_id": a.id, "date": dt.date(a.year, 1 + k % 12, 1 + k % 28),
                            "project": f"{category}项目{k + 1}", "category": category, "amount_fen": amount,
                            "payee": f"服务单位{(a.id + k) % 97}有限公司", "voucher_no": f"PZ{a.id}-{k + 1}",
                            "status": status, "created_by_id": log.actor.id,
                            "created_at": _utc(a.year, 1 + k % 12, 1 + k % 28), "version_id": 1,
                            "decided_by_id": log.actor.id if status == ExpenditureStatus.VERIFIED else None})
        accounts.append({"allocation_id": a.id, "received_fen": a.amount_fen, "verified_spent_fen": verified})
    _insert(Tranche, tranches)
    _insert(FundAccount, accounts)
    _insert(Expenditure, entries)
    for b in base_ids:
        log.add("base_created", "first_batch_bases", b, _utc(2013, 2, 1))
    for a in allocations:
        log.add("allocation_created", "fund_allocations", a.id, _utc(a.year, 3, 1))
        log.add("tranche_recorded", "fund_allocations", a.id, _utc(a.year, 4, 1))
        log.add("tranche_recorded", "fund_allocations", a.id, _utc(a.year, 10, 1))
    for i, e in enumerate(entries):
        log.add("expenditure_recorded", "fund_expenditures", e["voucher_no"], e["created_at"])
        if e["status"] == ExpenditureStatus.VERIFIED and i % 2:
            log.add("expenditure_verified", "fund_expenditures", e["voucher_no"], e["created_at"] + timedelta(days=5))
    return {"bases": len(base_ids), "allocations": len(allocations), "tranches": len(tranches),
            "expenditures": len(entries)}


def _utc(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 2, 0, tzinfo=timezone.utc)


# --- notifications and the rest of the trail -----------------------------------------------------

def _notifications(scale: float, log: _Audit, rng: random.Random) -> dict[str, int]:
    users = _ids(select(User.id).where(User.username.like("n-%")).order_by(User.id))
    n = _n("notifications", scale)
    messages = (N_("您的申报已进入专家评审。"), N_("您有一份评分表待提交。"), N_("专项资金支出已核实。"),
                N_("请按时提交年度工作总结。"))
    base = _utc(2015, 6, 1)
    _insert(Notification, ({"user_id": users[i % len(users)], "message": messages[i % len(messages)],
                            "template": messages[i % len(messages)], "params": "{}",
                            "link": None, "created_at": base + timedelta(minutes=i),
                            "read_at": base + timedelta(minutes=i + 30) if i % 3 else None} for i in range(n)))
    return {"notifications": n}


def _background_events(scale: float, log: _Audit, rng: random.Random) -> None:
    """Logins and page-level security events of the national users, as a year of use leaves them."""
    users = db.session.execute(select(User.id, User.username, User.role)
                               .where(User.username.like("n-%")).order_by(User.id)).all()
    base = _utc(2015, 3, 20)
    for i in range(_n("extra_audit", scale)):
        u = users[i % len(users)]
        role = u.role.value if hasattr(u.role, "value") else str(u.role)
        log.add("login_success" if i % 20 else "login_failure", "users", u.id, base + timedelta(minutes=7 * i),
                user=(u.id, u.username, role))


def refresh_statistics() -> None:
    """After a bulk load on PostgreSQL: VACUUM ANALYZE, so the planner knows the new row counts and counts can
    read indexes alone (autovacuum would do it a minute later; the first pages would pay for it)."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def national_counts() -> dict[str, int]:
    """Row counts of the tables the national load fills (for the idempotency check)."""
    models = (User, Organisation, Application, Assignment, ScoreSheet, Score, FirstBatchBase, Allocation, Tranche,
              Expenditure, Notification, AuditRecord)
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}
