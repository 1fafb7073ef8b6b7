"""Entry points of background workers (`rq worker evalsys` with the app's environment).

A worker process has no application: each entry point builds one from the environment, runs one
job inside its context and closes its connections. Services stay free of the app factory.
"""
from __future__ import annotations

from . import create_app
from .extensions import db
from .services.evaluation_batch import owner_id, run_job_quietly


def issue_evaluation_batch(job_id: int) -> None:
    """Issue the reports of one batch job (enqueued by evaluation_batch.start_background)."""
    with create_app().app_context():
        try:
            run_job_quietly(job_id, owner_id("rq"))
        finally:
            db.engine.dispose()  # a long-lived worker builds an app per job: close its connections
