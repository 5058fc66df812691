"""Running jobs end to end in bulk and reading what the providers were sent: `run_jobs` submits many
jobs at once and polls them together (`RanJob`: the final view, the provider calls, the stored
record); `sent_call` reads a recorded OpenAI or Gemini request in provider-neutral terms.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cv_jobs.job_types import JobType
from local.fakes import FakeGeminiServer, FakeOpenAIServer, RecordedRequest
from tests.e2e.support import GatewayClient, LocalStack, Route, accepted_job_id, provider_calls_for


@dataclass(frozen=True)
class SentCall:
    """What one structured-output call asked a provider for, in provider-neutral terms."""

    provider: str
    model: str
    schema: Any
    schema_name: str | None  # OpenAI only: Gemini requests carry no schema name
    system: str
    user: str


def sent_call(request: RecordedRequest) -> SentCall:
    """Read a recorded OpenAI chat completion or Gemini generateContent request."""
    body = request.body if isinstance(request.body, dict) else {}
    if request.path.startswith("/v1beta/models/"):
        model = request.path.removeprefix("/v1beta/models/").split(":", 1)[0]
        config = body.get("generationConfig") or {}
        (system,) = (body.get("systemInstruction") or {}).get("parts") or [{}]
        (content,) = body.get("contents") or [{}]
        (user,) = content.get("parts") or [{}]
        return SentCall(
            "gemini",
            model,
            config.get("responseJsonSchema"),
            None,
            system.get("text", ""),
            user.get("text", ""),
        )
    messages = {message.get("role"): message.get("content") for message in body.get("messages") or []}
    json_schema = (body.get("response_format") or {}).get("json_schema") or {}
    return SentCall(
        "openai",
        str(body.get("model")),
        json_schema.get("schema"),
        json_schema.get("name"),
        str(messages.get("system", "")),
        str(messages.get("user", "")),
    )


@dataclass(frozen=True)
class RanJob:
    """A job submitted over a route and polled to the end, with what the providers received for it."""

    job_type: JobType[Any, Any]
    route: Route
    body: dict[str, Any]
    job: dict[str, Any]  # the final GET view
    calls: list[RecordedRequest]  # what the route's provider received for this job, in order
    other_provider_calls: list[RecordedRequest]  # what the other provider received (nothing, we hope)
    stored: dict[str, Any]  # the finished job's record as it was stored (DynamoDB JSON)


# Ran jobs by (job type name, route id).
ExampleJobs = dict[tuple[str, str], RanJob]


def run_jobs(
    stack: LocalStack,
    gateway: GatewayClient,
    jobs: list[tuple[JobType[Any, Any], Route, dict[str, Any], str]],
) -> list[RanJob]:
    """Submit every (job type, route, body, marker) at once, then poll them all to the end; keep each
    finished record, then delete it (the table stays small for the tests that scan it).

    Each body must carry its marker (see `local.examples.example_request(..., marker=...)`): it is how
    each job's provider calls are found.
    """

    def submit(job: tuple[JobType[Any, Any], Route, dict[str, Any], str]) -> str:
        job_type, route, body, _ = job
        return accepted_job_id(gateway.create_job(job_type.path, body, route.headers))

    # Submitted from a few threads, as several browsers would: the api serves requests concurrently.
    with ThreadPoolExecutor(max_workers=4) as pool:
        job_ids = list(pool.map(submit, jobs))
    finished = gateway.wait_until_all_finished(job_ids)
    servers: dict[str, FakeOpenAIServer | FakeGeminiServer] = {"openai": stack.openai, "gemini": stack.gemini}
    ran = []
    for job_id, (job_type, route, body, marker) in zip(job_ids, jobs, strict=True):
        other = "gemini" if route.provider == "openai" else "openai"
        ran.append(
            RanJob(
                job_type,
                route,
                body,
                finished[job_id],
                provider_calls_for(servers[route.provider], marker),
                provider_calls_for(servers[other], marker),
                stack.job_item(job_id) or {},
            )
        )
    stack.forget_jobs(job_ids)
    return ran
