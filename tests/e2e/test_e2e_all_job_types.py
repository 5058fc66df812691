"""Every registered job type over every route (OpenAI BYOK, Gemini BYOK, system path), end to end:
the stored result fits its result model and the frontend's shape, and each provider call carried
the configured model, the step's schema and prompt, and the key in the right header.

All jobs are submitted at once and polled together (the session's `example_jobs`), so the matrix
costs about as much as its slowest job.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from cv_jobs.aws.dynamo_json import from_dynamo
from cv_jobs.job_types import JOB_TYPES, JobType
from cv_jobs.job_types.prompting import data_blocks
from cv_jobs.job_types.schema import provider_schema
from local.fakes.answers import fake_answer
from tests.e2e.frontend_shapes import FRONTEND_SHAPES, empty_arrays, shape_problems
from tests.e2e.job_runs import ExampleJobs, RanJob, sent_call
from tests.e2e.support import CANARY_KEYS, ROUTES, Route, configured_models

pytestmark = pytest.mark.e2e


CASES = [
    pytest.param(job_type, route, id=f"{job_type.name}-{route.id}")
    for job_type in JOB_TYPES
    for route in ROUTES
]
MULTI_STEP_CASES = [
    pytest.param(job_type, route, id=f"{job_type.name}-{route.id}")
    for job_type in JOB_TYPES
    if len(job_type.steps) > 1
    for route in ROUTES
]


def _ran(example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route) -> RanJob:
    ran = example_jobs[(job_type.name, route.id)]
    assert ran.job["status"] == "succeeded", ran.job
    return ran


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_job_succeeds_on_its_route_in_one_attempt(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given the job type's example, submitted over this route and polled to the end
    ran = example_jobs[(job_type.name, route.id)]

    # Then it succeeded at once, with the provider and credential of its route, and no error
    assert ran.job["status"] == "succeeded", ran.job
    assert ran.job["error"] is None
    assert ran.job["attempts"] == 1
    assert (ran.job["job_type"], ran.job["provider"], ran.job["credential"]) == (
        job_type.name,
        route.provider,
        route.credential,
    )
    assert ran.job["model"] == configured_models(job_type.name)[route.provider]


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_stored_result_validates_against_the_result_model(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given a succeeded job: its result as stored in the table and as the API returned it
    ran = _ran(example_jobs, job_type, route)
    stored = from_dynamo(TypeDeserializer().deserialize(ran.stored["result"]))

    # When the stored result is validated against the job type's result model
    model = job_type.result_model.model_validate(stored)

    # Then it fits, the model would serialise it unchanged, and the API returned exactly it
    assert model.model_dump(mode="json") == stored
    assert ran.job["result"] == stored


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_stored_result_has_exactly_the_frontends_keys(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given a succeeded job and the shape the frontend reads, written out by hand
    result = _ran(example_jobs, job_type, route).job["result"]
    shape = FRONTEND_SHAPES[job_type.name]

    # When the two are compared key by key, nested
    problems = shape_problems(result, shape)

    # Then they match, and no array of objects was empty (its items' keys would go unchecked)
    assert not problems, "\n".join(problems)
    assert not empty_arrays(result, shape), empty_arrays(result, shape)


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_finished_record_keeps_no_key_and_no_request(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given a succeeded job's record, as stored once it finished
    stored = _ran(example_jobs, job_type, route).stored
    assert stored["status"] == {"S": "succeeded"}

    # When it is searched for keys, in plain text and base64
    dumped = json.dumps(stored, default=str)
    leaks = [key for key in CANARY_KEYS if key in dumped or base64.b64encode(key.encode()).decode() in dumped]

    # Then none is there, and neither the request (payload) nor the step checkpoints were kept
    assert leaks == []
    assert "payload" not in stored
    assert "steps" not in stored


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_one_call_per_step_to_the_routes_provider_only(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given a succeeded job
    ran = _ran(example_jobs, job_type, route)

    # Then its provider got exactly one call per step, and the other provider none
    assert len(ran.calls) == len(job_type.steps), [sent_call(c).schema_name for c in ran.calls]
    assert ran.other_provider_calls == []
    assert ran.job["usage"]["calls"] == len(job_type.steps)


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_each_call_asks_for_the_configured_model_and_the_steps_schema(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given the provider calls of a succeeded job, in the order they were made
    ran = _ran(example_jobs, job_type, route)
    sent = [sent_call(call) for call in ran.calls]

    # Then call i is step i: the configured model, the step's own schema and, for OpenAI, a strict
    # json_schema named after the job type and step
    assert len(sent) == len(job_type.steps)
    for call, request, step in zip(sent, ran.calls, job_type.steps, strict=True):
        assert call.provider == route.provider
        assert call.model == configured_models(job_type.name)[route.provider]
        assert call.schema == provider_schema(step.output_model), step.name
        if route.provider == "openai":
            response_format = request.body["response_format"]
            assert response_format["type"] == "json_schema"
            assert response_format["json_schema"]["strict"] is True
            assert call.schema_name == f"{job_type.name}_{step.name}"
        else:
            assert request.body["generationConfig"]["responseMimeType"] == "application/json"


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_key_travels_only_in_the_providers_header(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given the provider calls of a succeeded job
    ran = _ran(example_jobs, job_type, route)

    # Then each carried the route's key in that provider's header, and Gemini's never in the URL
    for call in ran.calls:
        if route.provider == "openai":
            assert call.header("authorization") == f"Bearer {route.key}"
            assert call.path == "/v1/chat/completions"
        else:
            assert call.header("x-goog-api-key") == route.key
            assert call.header("authorization") is None
            assert call.path.endswith(":generateContent")
            assert "key" not in call.query
            assert route.key not in call.path + repr(call.query)


@pytest.mark.parametrize(("job_type", "route"), CASES)
def test_first_step_is_sent_exactly_the_steps_prompt(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given a succeeded job and the prompt its first step builds from the request
    ran = _ran(example_jobs, job_type, route)
    request = job_type.request_model.model_validate(ran.body)
    expected = job_type.steps[0].prompt(request, {})

    # When the first call's messages are read
    first = ran.calls[0]
    sent = sent_call(first)

    # Then they are that system and user message, and nothing else
    assert (sent.system, sent.user) == (expected.system, expected.user)
    if route.provider == "openai":
        assert first.body["messages"] == [
            {"role": "system", "content": expected.system},
            {"role": "user", "content": expected.user},
        ]
    else:
        assert first.body["systemInstruction"] == {"parts": [{"text": expected.system}]}
        assert first.body["contents"] == [{"role": "user", "parts": [{"text": expected.user}]}]


@pytest.mark.parametrize(("job_type", "route"), MULTI_STEP_CASES)
def test_later_steps_are_sent_the_prompt_built_from_the_earlier_answers(
    example_jobs: ExampleJobs, job_type: JobType[Any, Any], route: Route
) -> None:
    # Given a succeeded multi-step job, its request, and the fake's answers replayed for each call
    # (the fakes answer deterministically from what they were sent)
    ran = _ran(example_jobs, job_type, route)
    request = job_type.request_model.model_validate(ran.body)
    outputs: dict[str, Any] = {}

    for step, call in zip(job_type.steps, ran.calls, strict=True):
        # When each step's prompt is built from the request and the earlier steps' answers
        expected = step.prompt(request, outputs)
        sent = sent_call(call)

        # Then that is exactly what the step was sent, its data in tagged blocks
        assert (sent.system, sent.user) == (expected.system, expected.user), step.name
        assert data_blocks(sent.user), f"{step.name}: no <tagged> data blocks in the user message"
        answer = fake_answer(sent.schema, system=sent.system, user=sent.user)
        outputs[step.name] = step.output_model.model_validate(answer, context=request)
    # and the later steps carried data the first step did not have: the earlier answers
    later_blocks = {tag for call in ran.calls[1:] for tag in data_blocks(sent_call(call).user).values()}
    assert later_blocks - set(data_blocks(sent_call(ran.calls[0]).user).values())


def test_every_registered_job_type_has_a_frontend_shape() -> None:
    # Given the registry and the hand-written frontend shapes
    registered = {job_type.name for job_type in JOB_TYPES}

    # When / Then every registered job type has one (the shapes cover the whole contract)
    assert registered <= set(FRONTEND_SHAPES), registered - set(FRONTEND_SHAPES)


def test_shape_check_reports_renamed_missing_extra_and_retyped_keys() -> None:
    # Given a CVData result that fits the frontend's shape
    fitting = {
        "personal": dict.fromkeys(FRONTEND_SHAPES["extract"]["personal"], ""),
        "professional_summary": "",
        "experience": [],
        "education": [],
        "projects": [],
        "skills": {"technical": [], "soft": [], "languages": []},
        "licenses_certifications": [],
        "target_job": {"title": "", "company": ""},
    }
    assert shape_problems(fitting, FRONTEND_SHAPES["extract"]) == []

    # When a key is renamed, one removed, and a list turned into a string
    broken = {**fitting, "summary": fitting["professional_summary"], "skills": {"technical": "Python"}}
    del broken["professional_summary"]
    problems = shape_problems(broken, FRONTEND_SHAPES["extract"])

    # Then every change is reported by its path
    assert "result.professional_summary: missing" in problems
    assert "result.summary: not a key the frontend reads" in problems
    assert "result.skills.technical: expected an array, got str" in problems
    assert "result.skills.soft: missing" in problems
    # and the empty arrays of objects are the ones whose items went unchecked
    assert "result.experience" in empty_arrays(fitting, FRONTEND_SHAPES["extract"])
