"""What the engine counts for Prometheus (``/metrics``, ``web.metrics``): transitions fired,
the job queue's depth and failures, and readings taken from the database at scrape time.

Counters live in the process that counts (``prometheus_client``; under gunicorn with
``PROMETHEUS_MULTIPROC_DIR`` every worker writes its own file and the scrape sums them, see
docs/operations.md). What several machines share — the newest chain verification, and what a
job queue keeps in the database — is read from the database when Prometheus scrapes
(``DATABASE_READINGS``), so every app server reports the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from datetime import UTC

from prometheus_client import Counter
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import VerificationRun

TRANSITIONS_FIRED = Counter(
    "penilaian_transitions_fired", "Transitions written (evaluation steps, due steps included), "
    "by trigger; a request rolled back afterwards still counted", ["trigger"])

# For the job queue: set the depth per queue when it changes, count each failed attempt.
JOB_QUEUE_DEPTH = Gauge("penilaian_job_queue_depth", "Jobs waiting, per queue", ["queue"],
                        multiprocess_mode="mostrecent")
JOB_FAILURES = Counter("penilaian_job_failures", "Failed job attempts, per task", ["task"])

# Functions reading a figure from the database at scrape time (a job queue's depth, say):
# each returns metric families; the scrape runs them in one read-only session.
DatabaseReading = Callable[[Session], Iterable[Metric]]
DATABASE_READINGS: list[DatabaseReading] = []


def verification_readings(session: Session) -> Iterable[Metric]:
    """The newest chain verification run over every agency (``audit verify`` from cron) of
    each mode: when it finished, how many chains it checked and how many it found broken."""
    newest = (select(VerificationRun.mode, func.max(VerificationRun.id).label("id"))
              .where(VerificationRun.agency_id.is_(None))
              .group_by(VerificationRun.mode).subquery())
    runs = session.scalars(select(VerificationRun).join(
        newest, VerificationRun.id == newest.c.id)).all()
    finished = GaugeMetricFamily(
        "penilaian_chain_verification_last_finished_timestamp_seconds",
        "When the newest chain verification of this mode finished", labels=["mode"])
    checked = GaugeMetricFamily("penilaian_chain_verification_last_chains",
                                "Chains the newest verification of this mode checked",
                                labels=["mode"])
    broken = GaugeMetricFamily("penilaian_chain_verification_last_broken_chains",
                               "Broken chains the newest verification of this mode found "
                               "(alert on > 0)", labels=["mode"])
    for run in runs:
        finished.add_metric([run.mode], run.finished_at.astimezone(UTC).timestamp())
        checked.add_metric([run.mode], run.chains)
        broken.add_metric([run.mode], run.broken)
    return [finished, checked, broken]


DATABASE_READINGS.append(verification_readings)
