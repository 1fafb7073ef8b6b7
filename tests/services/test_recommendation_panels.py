"""The authority's recommendation panels: every open call's quota in force, its use and the newest letter, read
for all calls at once, agree with the per-call reads of the services."""
from __future__ import annotations

from sqlalchemy import update

from evalsys.extensions import db
from evalsys.models import QuotaCounter, Role
from evalsys.models.types import utcnow
from evalsys.services.application_query import panels, recommendation_panels
from evalsys.services.quotas import authority_quota
from evalsys.services.recommendations import current_letter, quota_used
from tests.factories import make_call, make_letter, make_user


def test_panels_of_several_calls_agree_with_the_per_call_reads(app):
    with app.app_context():
        me = make_user(Role.AUTHORITY, authority_code="320000")
        other = make_user(Role.AUTHORITY, authority_code="330000")
        plain, own_quota, used = make_call(), make_call(quota_per_authority=6), make_call()
        db.session.execute(update(QuotaCounter).where(QuotaCounter.call_id == own_quota.id,
                                                      QuotaCounter.authority_code == "320000").values(quota=2))
        db.session.execute(update(QuotaCounter).where(QuotaCounter.call_id == used.id,
                                                      QuotaCounter.authority_code == "320000").values(used=3))
        db.session.execute(update(QuotaCounter).where(QuotaCounter.call_id == plain.id,
                                                      QuotaCounter.authority_code == "330000").values(used=5, quota=1))
        make_letter(used, me)
        newest = make_letter(used, me)
        make_letter(plain, other)  # another authority's letter is not ours
        db.session.commit()
        calls = [plain, own_quota, used]
        got = panels(calls, "320000")
        assert [(p.call.id, p.quota, p.used, p.letter) for p in got] == [
            (c.id, authority_quota(c, "320000"), quota_used(c, "320000"), current_letter(c, "320000")) for c in calls]
        assert [(p.quota, p.used, p.left) for p in got] == [(plain.quota_per_authority, 0, plain.quota_per_authority),
                                                              (2, 0, 2), (used.quota_per_authority, 3,
                                                                          used.quota_per_authority - 3)]
        assert got[2].letter.id == newest.id and got[0].letter is None
        # The page's panels: the calls open for recommendation, soonest deadline first (here: in creation order).
        assert [p.call.id for p in recommendation_panels("320000", utcnow())] == [c.id for c in calls]
