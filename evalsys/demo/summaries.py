"""Demo: the 2015 collection of annual work summaries (due 2015-11-10), some on time, some late, some missing."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import Authority, User
from ..models.summary import SummaryCollection, SummarySubmission
from ..services import audit
from ..services.files import store_bytes
from ..services.summaries import deadline_of
from .story import demo_clock


def _summary_pdf(authority: Authority) -> bytes:
    from io import BytesIO

    from reportlab.pdfgen import canvas

    from ..reporting.fonts import register_cjk_font

    font = register_cjk_font()
    buf = BytesIO()
    c = canvas.Canvas(buf, invariant=True)
    c.setFont(font, 16)
    c.drawString(72, 760, f"{authority.full_name}")
    c.setFont(font, 12)
    c.drawString(72, 730, "2015年度电子商务工作总结（演示文件）")
    c.save()
    return buf.getvalue()


def load_summaries_demo() -> int:
    """Create the 2015 collection with submissions for most authorities; returns submissions created."""
    collection = db.session.scalar(select(SummaryCollection).where(SummaryCollection.year == 2015))
    if collection is None:
        opened = datetime(2015, 4, 3, 2, 0, tzinfo=timezone.utc)
        with demo_clock(opened):
            collection = SummaryCollection(year=2015, title="2015年度电子商务工作总结", due_date=date(2015, 11, 10),
                                           created_at=opened)
            db.session.add(collection)
            db.session.flush()
            audit.record("summary_collection_opened", obj=collection, detail={"source": "demo"})
    elif db.session.scalar(select(SummarySubmission.id).where(SummarySubmission.collection_id == collection.id)):
        return 0
    deadline = deadline_of(collection)
    created = 0
    authorities = db.session.scalars(select(Authority).order_by(Authority.code)).all()
    for i, authority in enumerate(authorities):
        if i % 9 == 4:
            continue  # some authorities have not submitted at all
        user = db.session.scalar(select(User).where(User.username == f"authority-{authority.code}"))
        if user is None:
            continue
        late = i % 6 == 5
        at = deadline + timedelta(days=2, hours=i) if late else deadline - timedelta(days=10 - i % 9, hours=3)
        with demo_clock(at):
            stored = store_bytes(_summary_pdf(authority), f"{authority.name}2015年度电子商务工作总结.pdf",
                                 "application/pdf", purpose="work_summary", actor_id=user.id)
            db.session.add(SummarySubmission(collection_id=collection.id, authority_code=authority.code,
                                             file_id=stored.id, submitted_by_id=user.id, submitted_at=at, late=late))
        created += 1
    db.session.flush()
    return created
