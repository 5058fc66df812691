"""sweeper Lambda: on a schedule, fails every job that no delivery can end any more (sweep.py)."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cv_jobs.aws import clients
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.aws.open_jobs import open_jobs
from cv_jobs.observability import logger, metrics
from cv_jobs.settings import SweeperSettings
from cv_jobs.sweeper.rules import StaleRules
from cv_jobs.sweeper.sweep import sweep


@cache
def _settings() -> SweeperSettings:
    return SweeperSettings.from_env()


def run_sweep(table: Any, settings: SweeperSettings, clock: Any = time.time) -> dict[str, int]:
    store = JobsStore(table, ttl_seconds=0)  # the sweeper never creates a job
    report = sweep(open_jobs(table), store, StaleRules.of(settings), clock)
    logger.info("sweep done", extra={"open_jobs": report.open_jobs, "failed": report.failed})
    return {"open_jobs": report.open_jobs, "failed": report.failed}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings = _settings()
    return run_sweep(clients.table(settings.jobs_table_name), settings)
