"""Property-based tests (Hypothesis) of every registered job type's request model, through the api's
own validation (cv_jobs/api/validation.py): any document is a request or our refusal, a refusal names
fields and never repeats what was sent, and whatever is accepted survives the trip through the jobs
table (DynamoDB, in-process moto) and validates again in the worker. Generic over the registry: a
ninth job type is covered without a line here."""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from pydantic import BaseModel

from cv_jobs.api.validation import validate_body
from cv_jobs.aws.jobs_store import JobsStore
from cv_jobs.credentials import CredentialSource, Provider
from cv_jobs.errors import InvalidJson, RequestValidationFailed
from cv_jobs.job_types import JOB_TYPES, JobType
from local.examples import example_request

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
CANARY = "canary-fuzz-9d41"
JOB_TYPE_IDS = [job_type.name for job_type in JOB_TYPES]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)
# What DynamoDB can store: numbers of at most 38 digits within 1e-130..9.99e125, no empty map key.
# (Values beyond these are the open findings in test_fuzz_findings.py.)
storable_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.floats(min_value=-1e125, max_value=1e125).filter(lambda x: x == 0 or abs(x) > 1e-120),
    st.text(max_size=30),
)
storable_values = st.recursive(
    storable_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)
# Prose: what a CV, a job description or a section looks like, in any script.
words = st.lists(
    st.text(
        st.characters(categories=["L", "N"]) | st.sampled_from(string.punctuation), min_size=1, max_size=10
    ),
    min_size=1,
    max_size=60,
).map(" ".join)
marked_text = words.map(lambda text: f"{text} {CANARY}")
field_values = st.one_of(json_values, words, marked_text, st.lists(marked_text, max_size=3))


def _model_fields(job_type: JobType[Any, Any]) -> list[str]:
    return sorted(job_type.request_model.model_fields)


def _outcome(job_type: JobType[Any, Any], document: Any) -> BaseModel | InvalidJson | RequestValidationFailed:
    """The validated request, or the refusal (any other exception fails the test)."""
    try:
        return validate_body(job_type, json.dumps(document))
    except (InvalidJson, RequestValidationFailed) as refusal:
        return refusal


@pytest.fixture(scope="module")
def jobs_store() -> Iterator[JobsStore]:
    """The jobs table in in-process moto, as the stack creates it."""
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            patch.setenv(name, "testing")
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        table = boto3.resource("dynamodb", region_name="us-east-1").create_table(
            TableName="fuzz-jobs",
            KeySchema=[{"AttributeName": "job_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "job_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield JobsStore(table, ttl_seconds=3600)


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=JOB_TYPE_IDS)
@FUZZ
@given(document=json_values)
def test_any_json_document_is_a_request_or_our_refusal(job_type: JobType[Any, Any], document: Any) -> None:
    # Given any JSON document, When it is validated as this job type's body
    outcome = _outcome(job_type, document)

    # Then anything but an object is a 400, and an object is a request or a 422 with field paths
    if not isinstance(document, dict):
        assert isinstance(outcome, InvalidJson)
    elif isinstance(outcome, RequestValidationFailed):
        assert outcome.status_code == 422
        assert outcome.fields
    else:
        assert isinstance(outcome, job_type.request_model)


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=JOB_TYPE_IDS)
@FUZZ
@given(data=st.data())
def test_a_field_replaced_by_anything_is_accepted_or_refused_without_echo(
    job_type: JobType[Any, Any], data: st.DataObject
) -> None:
    # Given the job type's example request with one field (known or not) replaced by any value
    field = data.draw(st.sampled_from([*_model_fields(job_type), f"unknown_{CANARY}"]), label="field")
    value = data.draw(field_values, label="value")
    document = {**example_request(job_type.path), field: value}

    # When it is validated
    outcome = _outcome(job_type, document)

    # Then a refusal names model fields (or hides a name the client made up) in our own words,
    # and repeats nothing that was sent
    if isinstance(outcome, RequestValidationFailed):
        body = json.dumps(outcome.body())
        assert CANARY not in body
        assert "Value error" not in body
        known = {*_model_fields(job_type), "body", "*"}
        assert {item["field"].split(".")[0] for item in outcome.fields or []} <= known
    else:
        assert isinstance(outcome, job_type.request_model)


@pytest.mark.parametrize("job_type", JOB_TYPES, ids=JOB_TYPE_IDS)
@FUZZ
@given(data=st.data())
def test_an_accepted_request_survives_the_jobs_table_and_validates_again_in_the_worker(
    job_type: JobType[Any, Any], data: st.DataObject, jobs_store: JobsStore
) -> None:
    # Given an accepted request: the example with one field replaced by prose or any JSON value
    field = data.draw(st.sampled_from(_model_fields(job_type)), label="field")
    value = data.draw(st.one_of(words, storable_values), label="value")
    outcome = _outcome(job_type, {**example_request(job_type.path), field: value})
    if not isinstance(outcome, job_type.request_model):
        return  # refused: the other properties cover refusals

    # When the api stores it as the job's payload and the worker reads it back
    job_id = str(uuid.uuid4())
    jobs_store.create(
        job_id=job_id,
        job_type=job_type.name,
        payload=outcome.model_dump(mode="json"),
        provider=Provider.OPENAI,
        credential=CredentialSource.SYSTEM,
        now=1_800_000_000.0,
    )
    stored = jobs_store.get(job_id)

    # Then the worker's validation of the stored payload gives the same request (DynamoDB keeps a
    # number's decimal digits, so a float may come back as the integer it spells)
    assert stored is not None
    again = job_type.request_model.model_validate(stored["payload"])
    assert _numbers_as_floats(again.model_dump(mode="json")) == _numbers_as_floats(
        outcome.model_dump(mode="json")
    )


def _numbers_as_floats(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _numbers_as_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_numbers_as_floats(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value
