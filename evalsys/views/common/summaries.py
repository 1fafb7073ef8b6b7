"""What the work-summary pages of the ministry and the authorities share: loading a collection."""
from __future__ import annotations

from flask import abort

from ...extensions import db
from ...models.summary import SummaryCollection


def collection(collection_id: int) -> SummaryCollection:
    return db.session.get(SummaryCollection, collection_id) or abort(404)
