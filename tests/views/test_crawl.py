"""The walk the page-wide checks rely on reaches each role's pages (a walk that found nothing would make
every such check pass)."""
from __future__ import annotations

from tests.crawl import ACCOUNTS, role_pages

# Pages each walk must reach: the role's home and the pages its menu leads to.
MUST_REACH = {
    "admin": {"admin.home", "admin.calls", "admin.funds_home", "admin.reviewers", "admin.criteria"},
    "secadmin": {"security.home"},
    "auditor": {"audit.home"},
    "reviewer01": {"review.home"},
    "authority-320000": {"authority.home", "authority.applications", "authority.organisations"},
    "applicant01": {"applicant.home"},
    "baseop01": {"applicant.home", "applicant.funds_base"},
    None: {"public.index", "public.cases", "public.verify_lookup", "auth.login"},
}


def test_the_walk_reaches_every_role_s_pages(demo_site):
    for username in ACCOUNTS:
        found = {p.endpoint for p in role_pages(demo_site, username)}
        assert MUST_REACH[username] <= found, (username, sorted(MUST_REACH[username] - found))
        assert len(found) >= len(MUST_REACH[username])
