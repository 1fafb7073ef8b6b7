"""Batch issuing of a round's accepted evaluations, shared by the UI (background: RQ on Redis when
configured, else a worker thread) and the `report` command.

One lock per round, a lease on the round row (lock_owner, lock_until) taken by a conditional
UPDATE in its own short transaction: the UI job and the CLI never run together, and a killed
holder frees the round when its lease runs out. Items and progress live in batch_jobs /
batch_items; each item is issued and marked done in one commit, after its file is on disk, so
an interrupted run leaves at worst an orphan file (removed by the next run) and resumes with
the items still pending.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from ..domain.evaluation import EvaluationState
from ..extensions import db
from ..models import BatchItem, BatchJob, Evaluation, EvaluationRound, FirstBatchBase, IssuedReport, JobState, User
from ..models.types import utcnow
from . import audit
from .evaluation_reports import issue_report, issued_root
from ..domain.errors import DomainError

DEFAULT_LEASE_SECONDS = 60


class LockBusy(DomainError, RuntimeError):
    """Another run holds the round's issuing lock."""


def lease_seconds() -> int:
    return int(current_app.config.get("BATCH_LOCK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def owner_id(kind: str) -> str:
    """A lock owner name: kind, host, process and thread."""
    return f"{kind}:{socket.gethostname()[:30]}:{os.getpid()}:{threading.get_ident() % 100000}"


def acquire_lock(round_id: int, owner: str, now: dt.datetime | None = None) -> bool:
    """Take (or renew) the round's lease in a transaction of its own; False when another holds it."""
    now = now or utcnow()
    until = now + dt.timedelta(seconds=lease_seconds())
    table = EvaluationRound.__table__
    with db.engine.begin() as conn:
        moved = conn.execute(update(table).where(
            table.c.id == round_id,
            or_(table.c.lock_owner.is_(None), table.c.lock_owner == owner, table.c.lock_until < now),
        ).values(lock_owner=owner, lock_until=until)).rowcount
    return moved == 1


def release_lock(round_id: int, owner: str) -> None:
    table = EvaluationRound.__table__
    with db.engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == round_id, table.c.lock_owner == owner)
                     .values(lock_owner=None, lock_until=None))


def lock_holder(round_: EvaluationRound) -> str | None:
    """Who holds the round's lease now (None when free or expired)."""
    db.session.refresh(round_, ["lock_owner", "lock_until"])
    if round_.lock_owner and round_.lock_until and round_.lock_until > utcnow():
        return round_.lock_owner
    return None


def pending_evaluations(round_id: int) -> list[Evaluation]:
    """Accepted evaluations of the round without a valid report."""
    return list(db.session.scalars(select(Evaluation).where(Evaluation.round_id == round_id,
                                                            Evaluation.state == EvaluationState.ACCEPTED)
                                   .order_by(Evaluation.id)))


def open_job(round_id: int) -> BatchJob | None:
    """The round's unfinished job (queued, running or interrupted), if any."""
    return db.session.scalar(select(BatchJob).where(BatchJob.round_id == round_id,
                                                    BatchJob.state.in_([JobState.QUEUED, JobState.RUNNING]))
                             .order_by(BatchJob.id.desc()))


def latest_job(round_id: int) -> BatchJob | None:
    return db.session.scalar(select(BatchJob).where(BatchJob.round_id == round_id).order_by(BatchJob.id.desc()))


def is_interrupted(job: BatchJob) -> bool:
    """An unfinished job whose runner is gone (its round's lease is free or expired)."""
    if job.state not in (JobState.QUEUED, JobState.RUNNING):
        return False
    round_ = db.session.get(EvaluationRound, job.round_id)
    if job.state == JobState.QUEUED and job.started_at is None:
        # Not picked up yet: interrupted only if it has waited longer than a lease.
        return job.created_at < utcnow() - dt.timedelta(seconds=lease_seconds()) and lock_holder(round_) is None
    return lock_holder(round_) is None


def create_job(round_: EvaluationRound, *, actor: User | None, backend: str) -> BatchJob | None:
    """A job over every accepted evaluation still to issue (None when there is nothing to do);
    an unfinished job of the round is returned instead of a second one."""
    job = open_job(round_.id)
    if job is not None:
        return job
    todo = pending_evaluations(round_.id)
    if not todo:
        return None
    job = BatchJob(round_id=round_.id, state=JobState.QUEUED, backend=backend, total=len(todo),
                   created_by_id=actor.id if actor else None)
    db.session.add(job)
    db.session.flush()
    for ev in todo:
        db.session.add(BatchItem(job_id=job.id, evaluation_id=ev.id, state="pending"))
    db.session.flush()
    audit.record("evaluation_batch_created", obj=job, actor=actor,
                 detail={"round": round_.code, "items": len(todo), "backend": backend})
    return job


def remove_orphans(round_: EvaluationRound) -> list[str]:
    """Delete files of the round's folder that no report row points at (left by a killed run)
    and stray temporary files. Only called while holding the round's lock."""
    folder = issued_root() / round_.code
    if not folder.is_dir():
        return []
    known = set(db.session.scalars(select(IssuedReport.path).where(IssuedReport.round_id == round_.id)))
    removed = []
    for path in folder.iterdir():
        if f"{round_.code}/{path.name}" not in known and path.is_file():
            path.unlink()
            removed.append(path.name)
    return removed


def run_job(job_id: int, *, owner: str, progress: Callable[[int], None] | None = None,
            fail_after: int | None = None) -> BatchJob:
    """Issue the job's pending items, one commit per item, renewing the lease as it goes.

    Raises LockBusy when another run holds the round. `fail_after` (tests) raises after that
    many items, as a crash in the middle would.
    """
    job = db.session.get(BatchJob, job_id)
    if job is None:
        raise LookupError(job_id)
    round_id, round_code = job.round_id, db.session.get(EvaluationRound, job.round_id).code
    # No transaction of this session may be open while the lease moves on its own connection
    # (an SQLite write transaction would block it), and after a commit ORM attributes reload,
    # which opens one: hence plain ids from here on.
    db.session.commit()
    if not acquire_lock(round_id, owner):
        raise LockBusy(round_code)
    try:
        removed = remove_orphans(db.session.get(EvaluationRound, round_id))
        job = db.session.get(BatchJob, job_id)
        job.state, job.heartbeat_at = JobState.RUNNING, utcnow()
        job.started_at = job.started_at or utcnow()
        if removed:
            job.error = f"清理了 {len(removed)} 个未登记的文件"
        db.session.commit()
        item_ids = list(db.session.scalars(select(BatchItem.id).where(BatchItem.job_id == job_id,
                                                                      BatchItem.state == "pending")
                                           .order_by(BatchItem.id)))
        db.session.commit()  # no open transaction while the lease is renewed on its own connection
        handled = 0
        for item_id in item_ids:
            if fail_after is not None and handled >= fail_after:
                raise RuntimeError("simulated crash")
            if not acquire_lock(round_id, owner):  # renew; lost means someone took over
                raise LockBusy(round_code)
            _issue_item(item_id)
            handled += 1
            if progress:
                progress(1)
        job = db.session.get(BatchJob, job_id)
        job.state, job.finished_at = JobState.DONE, utcnow()
        audit.record("evaluation_batch_finished", obj=job, detail={"done": job.done, "failed": job.failed})
        db.session.commit()
        return job
    finally:
        db.session.rollback()
        release_lock(round_id, owner)


def _issue_item(item_id: int) -> None:
    item = db.session.get(BatchItem, item_id)
    job = item.job
    ev = db.session.get(Evaluation, item.evaluation_id)
    try:
        if ev.valid_report is not None or ev.state != EvaluationState.ACCEPTED:
            item.state, item.report_id = "skipped", ev.valid_report.id if ev.valid_report else None
        else:
            report = issue_report(ev, actor=None)
            item.state, item.report_id = "done", report.id
            job.done += 1
        item.finished_at = job.heartbeat_at = utcnow()
        db.session.commit()
    except Exception as exc:  # one bad item must not stop the batch; it is recorded and counted
        db.session.rollback()
        item = db.session.get(BatchItem, item_id)
        item.state, item.error, item.finished_at = "failed", str(exc)[:500], utcnow()
        item.job.failed += 1
        db.session.commit()


# --- background ------------------------------------------------------------------------------------------

def background_backend(app: Flask) -> str:
    """Where `start_background` runs a job: "rq" when REDIS_URL is configured, else "thread"."""
    return "rq" if app.config.get("RQ_REDIS_URL") or app.config.get("REDIS_URL") else "thread"


def start_background(app: Flask, job_id: int) -> str:
    """Run the (committed) job in the background: on RQ when REDIS_URL is configured, else in a thread."""
    url = app.config.get("RQ_REDIS_URL") or app.config.get("REDIS_URL")
    if url:
        from redis import Redis
        from rq import Queue

        Queue(app.config.get("RQ_QUEUE", "evalsys"), connection=Redis.from_url(url)).enqueue(
            "evalsys.jobs.issue_evaluation_batch", job_id, job_timeout=3600)
        return "rq"
    thread = threading.Thread(target=_thread_entry, args=(app, job_id), name=f"batch-{job_id}", daemon=True)
    thread.start()
    return "thread"


def _thread_entry(app: Flask, job_id: int) -> None:
    with app.app_context():
        run_job_quietly(job_id, owner_id("thread"))


def run_job_quietly(job_id: int, owner: str) -> None:
    """Run a job in a worker: a busy lock is left to its holder, a failure is recorded on the job."""
    try:
        run_job(job_id, owner=owner)
    except LockBusy:
        pass  # the holder (CLI or another worker) issues the same items
    except Exception as exc:
        db.session.rollback()
        job = db.session.get(BatchJob, job_id)
        if job is not None:
            job.state, job.error = JobState.FAILED, str(exc)[:500]
            db.session.commit()
        current_app.logger.exception("batch job %s failed", job_id)
    finally:
        db.session.remove()


def issued_path(report: IssuedReport) -> Path:
    return issued_root() / report.path


# --- progress (read only) ---------------------------------------------------------------------------------

def job_progress(job: BatchJob) -> dict:
    """The figures of a job for its progress bar and summary, from SQL counts of its items:
    total, done, skipped, failed, pending, percent (handled / total), finished, interrupted, and
    the failed items (base and error, at most 20)."""
    counts = dict(db.session.execute(select(BatchItem.state, db.func.count()).where(BatchItem.job_id == job.id)
                                     .group_by(BatchItem.state)).all())
    total = sum(counts.values())
    handled = total - counts.get("pending", 0)
    finished = job.state in (JobState.DONE, JobState.FAILED)
    failures = [{"base": f"{name}（{code}）", "error": error} for name, code, error in db.session.execute(
        select(FirstBatchBase.name, FirstBatchBase.code, BatchItem.error)
        .join(Evaluation, Evaluation.id == BatchItem.evaluation_id)
        .join(FirstBatchBase, FirstBatchBase.id == Evaluation.base_id)
        .where(BatchItem.job_id == job.id, BatchItem.state == "failed").order_by(BatchItem.id).limit(20))]
    return {"job": job.id, "state": job.state.value, "state_label": job.state.label, "total": total,
            "done": counts.get("done", 0), "skipped": counts.get("skipped", 0), "failed": counts.get("failed", 0),
            "pending": counts.get("pending", 0), "percent": round(100 * handled / total) if total else 100,
            "finished": finished, "interrupted": is_interrupted(job), "error": job.error, "failures": failures}
