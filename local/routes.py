"""The local gateway's resources: the REST API's resources and methods as the stack creates them.

infra/constructs/api.py builds them from the job-type registry: `POST /ai/jobs/<job path>` per job
type, `GET|DELETE /ai/jobs/{job_id}` and `GET /ai/openapi.json` (the api function's) and
`POST /ai/keys/test` (the key-check function's), each with CDK's CORS preflight (OPTIONS) on every
resource. tests/infra/test_api.py checks this module against the synthesized
template, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

JOBS = "/ai/jobs"
JOB = "/ai/jobs/{job_id}"
OPENAPI = "/ai/openapi.json"
KEY_TEST = "/ai/keys/test"
# Resources that only hold others: they have the preflight method and nothing else.
_PARENTS = ("/", "/ai", JOBS, "/ai/keys")
# The functions behind the routes.
API_FUNCTION = "api"
KEY_CHECK_FUNCTION = "key_check"


@dataclass(frozen=True)
class Route:
    resource: str  # API Gateway's resource path, e.g. "/ai/jobs/{job_id}"
    methods: tuple[str, ...]
    path_parameters: dict[str, str] | None
    function: str = API_FUNCTION  # which function's handler the gateway calls


class Routes:
    """Matches request paths to resources like API Gateway does.

    A literal resource wins over the `{job_id}` variable one, so `GET /ai/jobs/extract` is not a job
    lookup but a method the resource does not have.
    """

    _JOB_ID = re.compile(r"^/ai/jobs/(?P<job_id>[^/]+)$")

    def __init__(self, job_paths: Iterable[str]) -> None:
        self._literal: dict[str, tuple[str, ...]] = {f"{JOBS}/{path}": ("POST",) for path in job_paths}
        self._literal[OPENAPI] = ("GET",)
        self._literal[KEY_TEST] = ("POST",)

    def methods(self) -> set[tuple[str, str]]:
        """Every (HTTP method, resource) pair that reaches the api function."""
        pairs = {(method, resource) for resource, methods in self._literal.items() for method in methods}
        return pairs | {("GET", JOB), ("DELETE", JOB)}

    def is_resource(self, path: str) -> bool:
        """CDK's default preflight options put an OPTIONS method on every resource."""
        path = path.rstrip("/") or "/"
        return path in _PARENTS or self.match(path) is not None

    def match(self, path: str) -> Route | None:
        if path != "/" and path.endswith("/"):
            path = path[:-1]
        if path in self._literal:
            function = KEY_CHECK_FUNCTION if path == KEY_TEST else API_FUNCTION
            return Route(path, self._literal[path], None, function)
        found = self._JOB_ID.match(path)
        if found:
            return Route(JOB, ("GET", "DELETE"), {"job_id": unquote(found["job_id"])})
        return None
