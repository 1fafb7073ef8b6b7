"""Demo subsidy funds: 34 fictional first-batch bases with operators `baseop01`–`baseop34`,
allocations 2013–2015, tranches and expenditures, including entries raising every kind of flag.
Everything goes through the services (so it is audited; flags are computed once per base at the
end rather than after every entry, which is what makes loading fast); a base that exists is left alone."""
from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from ..extensions import db
from ..models import FirstBatchBase, Organisation, OrganisationState, Role, StoredFile
from ..models.types import utcnow
from ..services import audit, funds, funds_flags, funds_ledger
from ..services.files import store_bytes

# (city, authority, registering region, base name) — fictional bases in real cities.
BASES = [
    ("杭州", "330000", "330100", "杭州市电子商务产业基地"), ("北京", "110000", "110108", "北京市海淀区电子商务创新基地"),
    ("上海", "310000", "310115", "上海市浦东电子商务创新发展基地"), ("天津", "120000", "120116", "天津市滨海新区电子商务产业园"),
    ("石家庄", "130000", "130100", "石家庄市电子商务产业基地"), ("太原", "140000", "140100", "太原市电子商务产业园"),
    ("呼和浩特", "150000", "150100", "呼和浩特市电子商务产业基地"), ("沈阳", "210000", "210100", "沈阳市电子商务产业园"),
    ("长春", "220000", "220100", "长春市电子商务产业基地"), ("哈尔滨", "230000", "230100", "哈尔滨市电子商务产业园"),
    ("苏州", "320000", "320500", "苏州市电子商务产业园"), ("南京", "320000", "320100", "南京市电子商务集聚区"),
    ("金华", "330000", "330700", "金华市电子商务创业园"), ("合肥", "340000", "340100", "合肥市电子商务产业基地"),
    ("福州", "350000", "350100", "福州市电子商务产业基地"), ("南昌", "360000", "360100", "南昌市电子商务产业园"),
    ("济南", "370000", "370100", "济南市电子商务产业园"), ("临沂", "370000", "371300", "临沂市电子商务物流产业园"),
    ("郑州", "410000", "410100", "郑州市电子商务产业基地"), ("武汉", "420000", "420100", "武汉市电子商务产业园"),
    ("长沙", "430000", "430100", "长沙市电子商务产业基地"), ("广州", "440000", "440100", "广州市电子商务产业园"),
    ("东莞", "440000", "441900", "东莞市电子商务产业园"), ("南宁", "450000", "450100", "南宁市电子商务产业园"),
    ("海口", "460000", "460100", "海口市电子商务产业园"), ("重庆", "500000", "500112", "重庆市电子商务产业基地"),
    ("成都", "510000", "510100", "成都市电子商务产业基地"), ("贵阳", "520000", "520100", "贵阳市电子商务产业园"),
    ("昆明", "530000", "530100", "昆明市电子商务产业园"), ("西安", "610000", "610100", "西安市电子商务产业基地"),
    ("兰州", "620000", "620100", "兰州市电子商务产业园"), ("大连", "210200", "210211", "大连市电子商务产业园"),
    ("宁波", "330200", "330212", "宁波市电子商务产业基地"), ("深圳", "440300", "440305", "深圳市电子商务产业基地"),
]
ALLOWED = ["PSP", "TEC", "INC", "TRN", "LOG", "PRO", "STD", "FIN", "EVA"]
PROJECTS = {"PSP": "公共服务平台运营维护", "TEC": "云计算公共技术服务", "INC": "电商创业孵化服务", "TRN": "电商人才培训",
            "LOG": "共同配送中心建设", "PRO": "电商企业对接会", "STD": "电商统计监测体系", "FIN": "中小电商企业贷款贴息",
            "EVA": "专项资金第三方审计"}
PAYEES = ["浙江数联信息技术有限公司", "华东云服务科技有限公司", "中商培训咨询有限公司", "远航供应链管理有限公司",
          "蓝图会展服务有限公司", "信诚会计师事务所", "恒达融资担保有限公司"]
WAN = 1_000_000  # fen in 10,000 yuan


def _voucher_pdf(label: str) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 760, f"Voucher scan (demo) {label}")
    c.save()
    return buf.getvalue()


def _targets(i: int) -> dict[str, int]:
    """Creation-plan targets by performance-system field id (fen, basis points, counts)."""
    return {"plan_arrival_rate": 10_000, "plan_execution_rate": 9_000, "plan_compliant_share": 10_000,
            "plan_tasks": 8 + i % 5, "plan_service_reach": 20_000 + 1_500 * i, "plan_acceptance_rate": 9_500,
            "plan_on_time_rate": 9_000, "plan_budget": (1_200 + 40 * i) * WAN,
            "plan_transaction_growth": 2_000 + 100 * (i % 7), "plan_firm_growth": 1_500 + 50 * (i % 5),
            "plan_leverage": 30_000 + 1_000 * (i % 9), "plan_new_jobs": 1_500 + 100 * i,
            "plan_incubated_trained": 3_000 + 200 * i, "plan_satisfaction": 9_000}


def _operator(i: int, city: str, authority: str, region: str, pw_hash: str, ensure_user) -> Organisation:
    from . import demo_uscc, person_name

    code = demo_uscc(region, 2000 + i)
    org = db.session.scalar(select(Organisation).where(Organisation.uscc == code))
    if org is None:
        org = Organisation(uscc=code, name=f"{city}电子商务产业基地运营管理有限公司", authority_code=authority,
                           state=OrganisationState.VERIFIED, verified_at=utcnow())
        db.session.add(org)
        db.session.flush()
        audit.record("organisation_registered", obj=org, detail={"source": "demo"})
    ensure_user(f"baseop{i:02d}", Role.APPLICANT, pw_hash, display_name=person_name(i + 60), organisation_id=org.id,
                is_org_main=True, email=f"baseop{i:02d}@example.com", phone="010-12345678")
    return org


def _entries(base: FirstBatchBase, i: int, voucher: StoredFile) -> None:
    voucher_nos: list[str] = []
    for y, (year, share) in enumerate(((2013, 10), (2014, 6), (2015, 4))):
        amount = (400 + (i * 37) % 300) * WAN * share // 10
        a = funds.create_allocation(base, year=year, amount_fen=amount, document_no=f"财建〔{year}〕{100 + i}号",
                                    purpose="公共服务平台、人才培训与推广等示范基地创建任务")
        received = amount if year == 2013 or (year == 2014 and i % 5) else amount * (7 if year == 2014 else 5) // 10
        if year == 2013:
            funds_ledger.record_tranche(a, date=dt.date(2013, 6, 15), amount_fen=received * 6 // 10, document_no="首笔拨付",
                                 refresh=False)
            funds_ledger.record_tranche(a, date=dt.date(2013, 11, 20), amount_fen=received - received * 6 // 10,
                                 document_no="第二笔拨付", refresh=False)
        else:
            funds_ledger.record_tranche(a, date=dt.date(year, 7, 10), amount_fen=received, document_no=f"{year}年拨付",
                                 refresh=False)
        spent = verified = 0
        for j in range(8):
            fen = (180_000 + (i * 7_919 + j * 104_729 + y * 31) % 270_000) * 100 + (i * 13 + j) % 100
            if spent + fen > received * 8 // 10:
                break
            spent += fen
            category = ALLOWED[(i + j + y) % len(ALLOWED)]
            no = f"JZ{year}-{i:02d}{j:02d}"
            voucher_nos.append(no)
            e = funds_ledger.record_expenditure(a, funds_ledger.ExpenditureInput(
                date=dt.date(year + (j // 5), 3 + (j % 5) * 2, 5 + j), project=PROJECTS[category], category=category,
                amount_fen=fen, payee=PAYEES[(i + j) % len(PAYEES)], voucher_no=no), voucher=voucher,
                refresh=False)
            if year == 2015 and j == 1:
                continue  # pending
            if year == 2015 and j == 2:
                funds_ledger.reject_expenditure(e, reason="合同金额与凭证不符，请核对后重新登记", refresh=False)
                spent -= fen
                continue
            funds_ledger.verify_expenditure(e, refresh=False)
            verified += fen
        _special(a, i, year, received - verified, voucher, voucher_nos)


def _special(a, i: int, year: int, remaining: int, voucher: StoredFile, voucher_nos: list[str]) -> None:
    """One entry per base raising one kind of flag, the kind rotating over the bases."""
    kind = i % 6
    add = funds_ledger.record_expenditure
    if year == 2014 and kind == 1:
        e = add(a, funds_ledger.ExpenditureInput(dt.date(2014, 9, 18), "基地综合服务楼装修", "X-BLD", 260_000_00,
                                          "宏图建筑装饰工程有限公司", f"JZ2014-{i:02d}90"), voucher=voucher,
                refresh=False)
        funds_ledger.verify_expenditure(e, refresh=False)
    elif year == 2014 and kind == 2:
        add(a, funds_ledger.ExpenditureInput(dt.date(2014, 10, 9), "电商企业对接会（二期）", "PRO", 86_500_00,
                                      "蓝图会展服务有限公司", voucher_nos[0]), voucher=voucher,
                refresh=False)
    elif year == 2013 and kind == 3:
        add(a, funds_ledger.ExpenditureInput(dt.date(2016, 2, 15), "公共服务平台运营维护（续）", "PSP", 120_000_00,
                                      "华东云服务科技有限公司", f"JZ2016-{i:02d}01"), voucher=voucher,
                refresh=False)
    elif year == 2013 and kind == 4 and remaining >= 680_000_00:
        e = add(a, funds_ledger.ExpenditureInput(dt.date(2014, 5, 20), "跨境电商公共海外仓建设", "LOG", 680_000_00,
                                          "远航供应链管理有限公司", f"JZ2014-{i:02d}88"), voucher=voucher,
                refresh=False)
        funds_ledger.verify_expenditure(e, refresh=False)
    elif year == 2014 and kind == 5:
        add(a, funds_ledger.ExpenditureInput(dt.date(2014, 11, 3), "展会场地租赁", "OTH", 45_800_00, "国际会展中心有限公司",
                                      "", explanation="年度网货交易会场地租赁费用"), refresh=False)
    elif year == 2015 and kind == 0:
        add(a, funds_ledger.ExpenditureInput(dt.date(2015, 12, 1), "公共服务平台二期开发", "PSP", remaining + 50_000_00,
                                      "浙江数联信息技术有限公司", f"JZ2015-{i:02d}77"), voucher=voucher,
                refresh=False)


def load_funds_demo(pw_hash: str, ensure_user) -> int:
    """Create the bases that do not exist yet (with operators, money and entries); returns how many."""
    created = 0
    for i, (city, authority, region, name) in enumerate(BASES, start=1):
        org = _operator(i, city, authority, region, pw_hash, ensure_user)
        code = f"B1-{i:02d}"
        if db.session.scalar(select(FirstBatchBase.id).where(FirstBatchBase.code == code)) is not None:
            continue
        base = funds.create_base(code=code, name=name, city=city, authority_code=authority, organisation=org,
                                 targets=_targets(i))
        voucher = store_bytes(_voucher_pdf(code), f"{code}记账凭证扫描件.pdf", "application/pdf", purpose="voucher",
                              actor_id=None)
        _entries(base, i, voucher)
        funds_flags.refresh_flags(base.id)  # once per base: the services were told not to after each entry
        created += 1
    return created
