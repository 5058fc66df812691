"""A job of several steps (`tailor`: tailor, then evaluate) through the real worker handler: each
earlier step's output is checkpointed on the record, so a retry never pays for it twice, and a job
cancelled between steps stops without another call."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest

from cv_jobs.api.handler import lambda_handler as api_handler
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.job_types.schema import provider_schema
from cv_jobs.job_types.tailor import TAILOR, TailorResult
from local.fakes.base import FakeProviderServer, RecordedRequest, estimate_tokens
from tests.unit.conftest import CANARY_GEMINI_KEY, CANARY_OPENAI_KEY, Aws, Providers
from tests.unit.events import api_context, api_event
from tests.unit.samples import sample
from tests.unit.test_worker import deliver, job

BYOK = {
    "openai": {"X-User-Provider": "openai", "X-User-Api-Key": CANARY_OPENAI_KEY},
    "gemini": {"X-User-Provider": "gemini", "X-User-Api-Key": CANARY_GEMINI_KEY},
}
_STEP_BY_SCHEMA = {
    json.dumps(provider_schema(step.output_model), sort_keys=True): step.name for step in TAILOR.steps
}


def submit_tailor(headers: dict[str, str]) -> str:
    body = {
        "user_cv_text": sample("cv_nurse_career_change.txt"),
        "job_description": sample("jd_health_data_analyst.txt"),
    }
    response = api_handler(api_event("POST", "/ai/jobs/tailor", body=body, headers=headers), api_context())
    assert response["statusCode"] == 202, response["body"]
    return str(json.loads(response["body"])["job_id"])


def step_of(request: RecordedRequest) -> str:
    """Which tailor step a provider request was for, from the schema it asked the model to fill."""
    body = request.body
    schema = (
        body["response_format"]["json_schema"]["schema"]
        if "response_format" in body
        else body["generationConfig"]["responseJsonSchema"]
    )
    return _STEP_BY_SCHEMA.get(json.dumps(schema, sort_keys=True), "unknown")


def calls_per_step(server: FakeProviderServer) -> Counter[str]:
    return Counter(step_of(request) for request in server.requests)


@pytest.mark.parametrize("provider", ["openai", "gemini"])
def test_a_retry_after_the_second_step_failed_does_not_pay_for_the_first_again(
    aws: Aws, providers: Providers, provider: str
) -> None:
    # Given a tailor job whose first call succeeds and whose second gets a 503
    server: FakeProviderServer = getattr(providers, provider)
    server.delay_next(0)  # answer the first call normally
    server.fail_next(503)
    job_id = submit_tailor(BYOK[provider])
    # When the worker runs it
    deliver(aws)
    # Then the job waits for a retry with the tailor step checkpointed, and only that step
    item = job(aws, job_id)
    assert item["status"] == "processing"
    assert item["last_error"]["code"] == "provider_unavailable"
    assert set(item["steps"]) == {"tailor"}
    assert item["steps"]["tailor"]["output"]["personal"]["name"] == "Daniel Ferreira"
    tailor_usage = item["steps"]["tailor"]["usage"]
    assert calls_per_step(server) == {"tailor": 1, "evaluate": 1}
    # When SQS delivers the message again
    deliver(aws)
    # Then only the evaluate step was called again, and the job succeeded
    assert calls_per_step(server) == {"tailor": 1, "evaluate": 2}
    item = job(aws, job_id)
    assert item["status"] == "succeeded"
    result = TailorResult.model_validate(item["result"])
    assert result.personal.name == "Daniel Ferreira"
    assert [e.persona for e in result.analysis.committee_evaluation.individual_evaluations] == [
        "Strict Hiring Manager",
        "Creative Recruiter",
        "Senior Technical Lead",
    ]
    # And the usage counts both paid steps (the checkpointed one and the final call), not the failed one
    assert item["usage"]["calls"] == 2
    assert item["usage"]["input_tokens"] > tailor_usage["input_tokens"] > 0
    if provider == "openai":  # the fake OpenAI server's token count is reproducible from the request
        last = server.requests[-1]
        assert item["usage"]["input_tokens"] == tailor_usage["input_tokens"] + estimate_tokens(
            json.dumps(last.body["messages"])
        )
    # And the checkpoint went with the payload once the job finished
    assert "steps" not in item
    assert "payload" not in item
    assert aws.receive() == []


def test_a_tailor_job_without_failures_makes_one_call_per_step(aws: Aws, providers: Providers) -> None:
    # Given a tailor job; when the worker runs it
    job_id = submit_tailor(BYOK["openai"])
    deliver(aws)
    # Then each step was called once, the committee saw the tailored CV, and no checkpoint is left
    assert calls_per_step(providers.openai) == {"tailor": 1, "evaluate": 1}
    evaluate_request = providers.openai.requests[1]
    assert not evaluate_request.mentions("tailoring_notes")  # the notes stay out of the committee's CV
    assert evaluate_request.mentions("Daniel Ferreira")
    item = job(aws, job_id)
    assert item["status"] == "succeeded"
    assert set(item["result"]) >= {"target_job", "analysis"}
    assert item["usage"]["calls"] == 2
    assert "steps" not in item


def test_a_job_cancelled_during_its_first_step_stops_without_a_second_call(
    aws: Aws, providers: Providers
) -> None:
    # Given a tailor job whose first call takes a while, cancelled while that call is in flight
    providers.openai.delay_next(1.5)
    job_id = submit_tailor(BYOK["openai"])
    store = JobsStore(aws.table, 86400)

    def cancel_once_the_first_call_arrived() -> None:
        deadline = time.monotonic() + 10
        while not providers.openai.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        store.cancel(job_id, time.time())

    canceller = threading.Thread(target=cancel_once_the_first_call_arrived)
    canceller.start()
    # When the worker runs it
    deliver(aws)
    canceller.join()
    # Then the job stays cancelled, the evaluate step was never called, and nothing was written
    assert calls_per_step(providers.openai) == {"tailor": 1}
    item: dict[str, Any] = job(aws, job_id)
    assert item["status"] == "cancelled"
    assert "result" not in item
    assert "steps" not in item
    # And the message is done with: a cancelled job is not retried
    assert aws.receive() == []
