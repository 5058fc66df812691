"""The job-type registry. The api routes, the worker dispatch and the tests all derive from it:
a new job type is one module plus one line here.

The registry knows every type's name and path up front, but imports a type's module (and builds
its pydantic models) only when something asks for that type: a create pays for one job type, a
poll or a cancel for none, a worker for the types its jobs have. `JOB_TYPES` (a sequence, in this
order), `BY_NAME` and `BY_PATH` (mappings) behave as a tuple and two dicts would; iterating over the
types or the mappings' values imports them all, so the OpenAPI document, infra and the tests see
every type as before. Keys, `len` and `in` import nothing.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from cv_jobs.job_types.base import JobType

# One line per job type, in the order of the API document: the name the job record stores. Its module
# is cv_jobs.job_types.<name>, which defines <NAME> (the JobType); its path is the name with hyphens.
NAMES: tuple[str, ...] = (
    "extract",
    "tailor",
    "evaluate",
    "rephrase",
    "recommend",
    "inject_keyword",
    "elaborate",
    "improve_from_feedback",
)
PATHS: tuple[str, ...] = tuple(name.replace("_", "-") for name in NAMES)

_loaded: dict[str, JobType[Any, Any]] = {}
_lock = threading.Lock()


def load(name: str) -> JobType[Any, Any]:
    """The job type called `name`, its module imported on first use (KeyError for an unknown name)."""
    job_type = _loaded.get(name)
    if job_type is not None:
        return job_type
    if name not in NAMES:
        raise KeyError(name)
    # The worker's records run in threads: one import and one check per type.
    with _lock:
        if name not in _loaded:
            module = importlib.import_module(f"{__name__}.{name}")
            job_type = getattr(module, name.upper())
            if (job_type.name, job_type.path) != (name, name.replace("_", "-")):
                found = f"{job_type.name!r} at {job_type.path!r}"
                raise RuntimeError(f"{module.__name__}.{name.upper()} is {found}")
            _loaded[name] = job_type
        return _loaded[name]


class _JobTypes(Sequence["JobType[Any, Any]"]):
    """Every job type in registry order, each imported when it is first read."""

    def __len__(self) -> int:
        return len(NAMES)

    @overload
    def __getitem__(self, index: int) -> JobType[Any, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[JobType[Any, Any], ...]: ...

    def __getitem__(self, index: int | slice) -> JobType[Any, Any] | tuple[JobType[Any, Any], ...]:
        if isinstance(index, slice):
            return tuple(load(name) for name in NAMES[index])
        return load(NAMES[index])

    def __iter__(self) -> Iterator[JobType[Any, Any]]:
        return (load(name) for name in NAMES)

    def __repr__(self) -> str:
        return f"JOB_TYPES{NAMES!r}"


class _ByKey(Mapping[str, "JobType[Any, Any]"]):
    """Job types by name or by path; looking one up imports that one only."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._names = dict(zip(keys, NAMES, strict=True))

    def __getitem__(self, key: str) -> JobType[Any, Any]:
        return load(self._names[key])

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"{{{', '.join(repr(key) for key in self._names)}}}"


JOB_TYPES: Sequence[JobType[Any, Any]] = _JobTypes()
BY_NAME: Mapping[str, JobType[Any, Any]] = _ByKey(NAMES)
BY_PATH: Mapping[str, JobType[Any, Any]] = _ByKey(PATHS)


def __getattr__(name: str) -> Any:
    # `from cv_jobs.job_types import JobType` keeps working without importing pydantic for a
    # module that only names the class in annotations.
    if name == "JobType":
        from cv_jobs.job_types.base import JobType

        return JobType
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BY_NAME", "BY_PATH", "JOB_TYPES", "NAMES", "PATHS", "JobType", "load"]
