"""Settings of each function, read from its environment once per cold start and validated.

One module per function (api, worker, sweeper; models for the worker, key check and model check),
so a cold start builds only its own function's pydantic models: `from cv_jobs.settings import
ApiSettings` imports cv_jobs.settings.api and its base, nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cv_jobs.settings.api import ApiSettings
    from cv_jobs.settings.common import _EnvSettings as _EnvSettings
    from cv_jobs.settings.common import _FromEnv as _FromEnv
    from cv_jobs.settings.models import KeyCheckSettings, ModelCheckSettings, ModelSettings
    from cv_jobs.settings.sweeper import SweeperSettings
    from cv_jobs.settings.worker import WorkerSettings

_MODULES = {
    "_FromEnv": "common",
    "_EnvSettings": "common",
    "ApiSettings": "api",
    "ModelSettings": "models",
    "ModelCheckSettings": "models",
    "KeyCheckSettings": "models",
    "WorkerSettings": "worker",
    "SweeperSettings": "sweeper",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "ApiSettings",
    "KeyCheckSettings",
    "ModelCheckSettings",
    "ModelSettings",
    "SweeperSettings",
    "WorkerSettings",
]
