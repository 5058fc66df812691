"""What operators read in CloudWatch about a job: the keys on its log lines (api and worker, with
concurrent records of one batch kept apart) and its EMF metrics with their dimension sets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cv_jobs import metric_names as names
from cv_jobs.api.handler import lambda_handler as api_handler
from tests.unit.conftest import CANARIES, CANARY_GEMINI_KEY, CANARY_OPENAI_KEY, Aws, Logs, Providers
from tests.unit.events import api_context, api_event, job_event
from tests.unit.samples import sample
from tests.unit.test_worker import GEMINI_BYOK, OPENAI_BYOK, deliver, submit

JOB_KEYS = ("job_id", "job_type", "provider", "credential", "attempt")


def _records(logs: Logs) -> list[dict[str, Any]]:
    return [json.loads(line) for line in logs.text.splitlines() if line.startswith("{")]


def _emf(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def _metric_names(document: dict[str, Any]) -> set[str]:
    return {metric["Name"] for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


def _dimension_sets(document: dict[str, Any]) -> list[list[str]]:
    sets: list[list[str]] = document["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    return sets


def test_concurrent_records_of_one_batch_each_log_only_their_own_job_keys(
    aws: Aws, providers: Providers, logs: Logs
) -> None:
    # Given an OpenAI and a Gemini BYOK job whose calls are slow enough to overlap in one batch
    providers.openai.delay_next(0.4)
    providers.gemini.delay_next(0.4)
    jobs = {submit(OPENAI_BYOK): "openai", submit(GEMINI_BYOK): "gemini"}

    # When the worker runs both in one batch
    assert deliver(aws) == 2

    # Then every worker line of a job names that job's provider, credential and first attempt
    worker_lines = [r for r in _records(logs) if "worker" in r.get("function_name", "") and "job_id" in r]
    for line in worker_lines:
        assert line["provider"] == jobs[line["job_id"]], line["message"]
        assert (line["credential"], line["attempt"], line["job_type"]) == ("user", 1, "extract"), line
    # and the two jobs really ran at the same time: their lines interleave
    order = [line["job_id"] for line in worker_lines]
    first, second = order[0], next(job for job in order if job != order[0])
    assert max(i for i, job in enumerate(order) if job == first) > order.index(second)
    # and each job has its started and succeeded lines
    for job_id in jobs:
        messages = [line["message"] for line in worker_lines if line["job_id"] == job_id]
        assert {"job started", "job succeeded"} <= set(messages), messages


def test_worker_lines_outside_a_job_carry_no_job_keys(aws: Aws, providers: Providers, logs: Logs) -> None:
    # Given a job the worker has run
    submit(OPENAI_BYOK)
    deliver(aws)

    # When something else is logged afterwards on the same thread
    from cv_jobs.observability import logger

    logger.info("between jobs")

    # Then that line names no job
    [line] = [r for r in _records(logs) if r["message"] == "between jobs"]
    assert not set(JOB_KEYS) & set(line)


def test_api_lines_carry_the_request_id_and_the_job_id(aws: Aws, logs: Logs) -> None:
    # Given a created job and a poll for it
    create = api_event("POST", "/ai/jobs/extract", body={"cv_text": sample("cv_backend_engineer.txt")})
    job_id = json.loads(api_handler(create, api_context())["body"])["job_id"]
    poll = job_event("GET", job_id)
    api_handler(poll, api_context())
    # and then a request about no job (a refusal)
    refused = api_event("POST", "/ai/jobs/extract", body={"cv_text": "too short"})
    api_handler(refused, api_context())

    records = _records(logs)
    # Then the create's "job queued" line carries API Gateway's request id and the job's keys
    [queued] = [r for r in records if r["message"] == "job queued"]
    assert queued["correlation_id"] == create["requestContext"]["requestId"]
    assert (queued["job_id"], queued["provider"], queued["credential"]) == (job_id, "openai", "system")
    # and the refusal afterwards carries its own request id and no job id from an earlier request
    [refusal] = [r for r in records if r["message"] == "request refused"]
    assert refusal["correlation_id"] == refused["requestContext"]["requestId"]
    assert "job_id" not in refusal


def test_a_poll_for_an_unknown_job_logs_its_id_when_it_is_a_uuid(aws: Aws, logs: Logs) -> None:
    # Given polls for a job that does not exist and for a path that is not a job id
    unknown = "0b7f5a8e-3a0c-4c55-9d0c-1f6f0a0e2f11"
    api_handler(job_event("GET", unknown), api_context())
    api_handler(job_event("GET", "not-a-job-id-" + "x" * 50), api_context())

    # Then the first refusal names the job id, the second does not repeat the client's text
    refusals = [r for r in _records(logs) if r["message"] == "request refused"]
    assert [r.get("job_id") for r in refusals] == [unknown, None]


def test_a_finished_job_publishes_created_succeeded_latency_and_tokens_with_few_dimensions(
    aws: Aws, providers: Providers, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a Gemini BYOK job
    job_id = submit(GEMINI_BYOK)

    # When the worker runs it
    deliver(aws)

    # Then each event is its own EMF line, under the service namespace
    documents = [d for d in _emf(capsys.readouterr().out) if d.get("job_id") == job_id]
    by_metric = {name: d for d in documents for name in _metric_names(d)}
    assert {names.JOBS_CREATED, names.JOBS_SUCCEEDED, names.TIME_TO_TERMINAL} <= set(by_metric)
    assert {names.PROVIDER_LATENCY, names.INPUT_TOKENS, names.OUTPUT_TOKENS} <= set(by_metric)
    for document in documents:
        assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CvAiJobsTest"
        # with the three dimension sets, and job id and model only as properties
        assert _dimension_sets(document) == [
            ["service"],
            ["service", "job_type"],
            ["service", "provider", "credential"],
        ]
        assert (document["job_type"], document["provider"], document["credential"]) == (
            "extract",
            "gemini",
            "user",
        )
    succeeded = by_metric[names.JOBS_SUCCEEDED]
    assert succeeded[names.TIME_TO_TERMINAL] >= 0
    call = by_metric[names.PROVIDER_LATENCY]
    assert call["outcome"] == "ok"
    assert call[names.PROVIDER_LATENCY] > 0
    assert call[names.INPUT_TOKENS] > 0
    assert call["model"] == "gemini-test"


def test_failures_and_retries_are_counted_by_error_code(
    aws: Aws, providers: Providers, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given one job whose provider is unavailable once (retried) and one with a revoked key (failed)
    providers.openai.fail_next(503, times=1)
    retried = submit(OPENAI_BYOK)
    deliver(aws)
    providers.openai.reject_key(CANARY_OPENAI_KEY)
    failed = submit(OPENAI_BYOK)
    deliver(aws)

    documents = _emf(capsys.readouterr().out)
    # Then the retry carries its code as a dimension, and so does the failure
    [retry] = [d for d in documents if d.get("job_id") == retried and names.JOBS_RETRIED in _metric_names(d)]
    assert retry["error_code"] == "provider_unavailable"
    assert ["service", "error_code"] in _dimension_sets(retry)
    [failure] = [d for d in documents if d.get("job_id") == failed and names.JOBS_FAILED in _metric_names(d)]
    assert failure["error_code"] == "invalid_api_key"
    assert ["service", "error_code"] in _dimension_sets(failure)
    assert names.TIME_TO_TERMINAL in _metric_names(failure)
    # and the failed provider call is measured with its outcome
    calls = [d for d in documents if d.get("job_id") == failed and names.PROVIDER_LATENCY in _metric_names(d)]
    assert [c["outcome"] for c in calls] == ["invalid_api_key"]


def test_no_metric_line_carries_a_key_or_cv_text(
    aws: Aws, providers: Providers, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given BYOK jobs on both providers, run to the end
    submit(OPENAI_BYOK)
    submit(GEMINI_BYOK)
    deliver(aws)

    # Then the metric lines hold neither key nor a line of the CV
    output = "\n".join(json.dumps(d) for d in _emf(capsys.readouterr().out))
    assert output
    for canary in (*CANARIES, CANARY_OPENAI_KEY, CANARY_GEMINI_KEY):
        assert canary not in output
    assert "Senior Backend Engineer" not in output
