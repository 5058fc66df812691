"""The job-type registry. The api routes, the worker dispatch and the tests all derive from it:
a new job type is one module plus one line here."""

from __future__ import annotations

from typing import Any

from cv_jobs.job_types.base import JobType
from cv_jobs.job_types.elaborate import ELABORATE
from cv_jobs.job_types.evaluate import EVALUATE
from cv_jobs.job_types.extract import EXTRACT
from cv_jobs.job_types.improve_from_feedback import IMPROVE_FROM_FEEDBACK
from cv_jobs.job_types.inject_keyword import INJECT_KEYWORD
from cv_jobs.job_types.recommend import RECOMMEND
from cv_jobs.job_types.rephrase import REPHRASE
from cv_jobs.job_types.tailor import TAILOR

JOB_TYPES: tuple[JobType[Any, Any], ...] = (
    EXTRACT,
    TAILOR,
    EVALUATE,
    REPHRASE,
    RECOMMEND,
    INJECT_KEYWORD,
    ELABORATE,
    IMPROVE_FROM_FEEDBACK,
)

BY_NAME: dict[str, JobType[Any, Any]] = {job_type.name: job_type for job_type in JOB_TYPES}
BY_PATH: dict[str, JobType[Any, Any]] = {job_type.path: job_type for job_type in JOB_TYPES}

__all__ = ["BY_NAME", "BY_PATH", "JOB_TYPES", "JobType"]
