"""The job-type registry. The api routes, the worker dispatch and the tests all derive from it:
a new job type is one module plus one line here."""

from __future__ import annotations

from typing import Any

from cv_jobs.job_types.base import JobType
from cv_jobs.job_types.extract import EXTRACT

JOB_TYPES: tuple[JobType[Any, Any], ...] = (EXTRACT,)

BY_NAME: dict[str, JobType[Any, Any]] = {job_type.name: job_type for job_type in JOB_TYPES}
BY_PATH: dict[str, JobType[Any, Any]] = {job_type.path: job_type for job_type in JOB_TYPES}

__all__ = ["BY_NAME", "BY_PATH", "JOB_TYPES", "JobType"]
