"""Where local mode's fault settings take effect: the api process and each worker process call these
before their handlers build any AWS client (see aws.py for why the order matters)."""

from __future__ import annotations

import os

from local.faults.aws import AwsFaultPlan, install_aws_faults
from local.faults.crash import Handler, install_worker_crashes


def install_in_api() -> AwsFaultPlan:
    """LOCAL_AWS_FAULTS for the api (and whatever else runs in the local.run process)."""
    return install_aws_faults(os.environ.get("LOCAL_AWS_FAULTS"), process="api")


def install_in_worker(handler: Handler) -> Handler:
    """LOCAL_AWS_FAULTS and LOCAL_WORKER_CRASH_RATE for a worker process: the handler to poll with."""
    install_aws_faults(os.environ.get("LOCAL_AWS_FAULTS"), process="worker")
    return install_worker_crashes(os.environ.get("LOCAL_WORKER_CRASH_RATE"), handler)
