"""The request contract of every registered job type through the local stack, derived from its
request model: the example is accepted; each missing required field, over-long string, over-full
list, unknown enumeration value and oversized or over-deep JSON object is a 422 naming the field,
in our own words, never echoing the value."""

from __future__ import annotations

from typing import Any

import pytest

from cv_jobs.job_types import JOB_TYPES, JobType
from local.examples import example_request
from tests.e2e.contract_cases import (
    FieldLimits,
    assert_refused,
    canary,
    field_limits,
    over_long_text,
    too_deep_object,
    too_large_object,
)
from tests.e2e.support import GatewayClient, LocalStack, accepted_job_id, items_mentioning, new_marker

pytestmark = pytest.mark.e2e


def _cases(predicate: Any) -> list[Any]:
    return [
        pytest.param(job_type, limits, id=f"{job_type.name}-{limits.name}")
        for job_type in JOB_TYPES
        for limits in field_limits(job_type)
        if predicate(limits)
    ]


REGISTERED = [pytest.param(job_type, id=job_type.name) for job_type in JOB_TYPES]
REQUIRED = _cases(lambda f: f.required)
LONG_STRINGS = _cases(lambda f: f.max_length is not None)
FULL_LISTS = _cases(lambda f: f.max_items is not None)
ENUMS = _cases(lambda f: bool(f.enum))
OBJECTS = _cases(lambda f: f.free_object)


@pytest.mark.parametrize("job_type", REGISTERED)
def test_the_example_is_accepted_and_extra_fields_are_ignored(
    local_stack: LocalStack, gateway: GatewayClient, job_type: JobType[Any, Any]
) -> None:
    # Given the job type's example plus a field the contract does not know (the frontend may send extras)
    body = {**example_request(job_type.path), "client_version": "web-2.3.1"}

    # When it is submitted on the system path
    job_id = accepted_job_id(gateway.create_job(job_type.path, body))

    # Then it was accepted (202) and runs to success (waited for, then deleted: no job outlives this test)
    job = gateway.wait_until_finished(job_id)
    local_stack.forget_jobs([job_id])
    assert job["status"] == "succeeded", job


def test_every_registered_job_type_has_required_fields_to_check() -> None:
    # Given / When the derived cases / Then every job type contributes (the derivation found its schema)
    assert {job_type.name for job_type in JOB_TYPES} == {p.values[0].name for p in REQUIRED}


@pytest.mark.parametrize(("job_type", "limits"), REQUIRED)
def test_a_missing_required_field_is_a_422_naming_it(
    local_stack: LocalStack, gateway: GatewayClient, job_type: JobType[Any, Any], limits: FieldLimits
) -> None:
    # Given the example without one required field (and a marker, to look for a job afterwards)
    marker = new_marker()
    body = example_request(job_type.path, marker=marker)
    del body[limits.name]

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused naming that field as required, and no job exists for it
    body_422 = assert_refused(response, limits.name)
    (problem,) = [p for p in body_422["fields"] if p["field"] == limits.name]
    assert problem["message"] == "Required."
    assert not items_mentioning(local_stack, marker)


@pytest.mark.parametrize(("job_type", "limits"), LONG_STRINGS)
def test_an_over_long_string_is_a_422_naming_it_without_its_value(
    gateway: GatewayClient, job_type: JobType[Any, Any], limits: FieldLimits
) -> None:
    # Given the example with one string one character over its limit, a canary inside
    assert limits.max_length is not None
    secret = canary()
    text = over_long_text(limits.max_length, secret)
    body = example_request(job_type.path)
    body[limits.name] = [text] if limits.is_string_list else text
    path = f"{limits.name}.0" if limits.is_string_list else limits.name

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused naming the field (the list entry), with the limit and not the value
    body_422 = assert_refused(response, path, secret=secret)
    (problem,) = [p for p in body_422["fields"] if p["field"] == path]
    assert problem["message"] == f"Must be at most {limits.max_length} characters."


@pytest.mark.parametrize(("job_type", "limits"), LONG_STRINGS)
def test_a_string_at_its_limit_is_not_refused_for_length(
    gateway: GatewayClient, job_type: JobType[Any, Any], limits: FieldLimits
) -> None:
    # Given the example with one string exactly at its limit, and another field made invalid so
    # that no job is created
    assert limits.max_length is not None
    text = over_long_text(limits.max_length - 1, canary())
    body = example_request(job_type.path)
    body[limits.name] = [text] if limits.is_string_list else text
    other = _another_field_refused(job_type, limits.name, body)

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then only the other field is refused: the limit is inclusive
    body_422 = assert_refused(response, other)
    assert [p["field"] for p in body_422["fields"]] == [other]


def _another_field_refused(job_type: JobType[Any, Any], field: str, body: dict[str, Any]) -> str:
    """Make a field other than `field` invalid (left out if required, else over-long); its path."""
    others = [f for f in field_limits(job_type) if f.name != field]
    required = [f for f in others if f.required]
    if required:
        del body[required[0].name]
        return required[0].name
    long = next(f for f in others if f.max_length is not None and not f.is_string_list)
    assert long.max_length is not None
    body[long.name] = over_long_text(long.max_length, canary())
    return long.name


@pytest.mark.parametrize(("job_type", "limits"), FULL_LISTS)
def test_a_list_with_too_many_entries_is_a_422_naming_it(
    gateway: GatewayClient, job_type: JobType[Any, Any], limits: FieldLimits
) -> None:
    # Given the example with one list one entry over its maximum
    assert limits.max_items is not None
    body = example_request(job_type.path)
    entries = list(range(limits.max_items + 1))
    body[limits.name] = [f"Answer {n}." for n in entries] if limits.is_string_list else entries

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused naming the list
    assert_refused(response, limits.name)


@pytest.mark.parametrize(("job_type", "limits"), ENUMS)
def test_a_value_outside_an_enumeration_is_a_422_naming_it_without_the_value(
    gateway: GatewayClient, job_type: JobType[Any, Any], limits: FieldLimits
) -> None:
    # Given the example with an unknown value for an enumerated field
    secret = canary()
    body = {**example_request(job_type.path), limits.name: secret}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused naming the field and listing the allowed values, not the sent one
    body_422 = assert_refused(response, limits.name, secret=secret)
    (problem,) = [p for p in body_422["fields"] if p["field"] == limits.name]
    assert all(str(value) in problem["message"] for value in limits.enum), problem


@pytest.mark.parametrize(("job_type", "limits"), OBJECTS)
@pytest.mark.parametrize(
    "make",
    [
        pytest.param(too_deep_object, id="too-deep"),
        pytest.param(too_large_object, id="too-large"),
        pytest.param(lambda secret: f"{{'not': 'an object', 'note': '{secret}'}}", id="a-string"),
        pytest.param(lambda secret: {}, id="empty"),
    ],
)
def test_a_json_object_field_that_is_too_deep_large_empty_or_not_an_object_is_a_422(
    gateway: GatewayClient, job_type: JobType[Any, Any], limits: FieldLimits, make: Any
) -> None:
    # Given the example with a bad value for a JSON-object field, a canary inside where it can be
    secret = canary()
    body = {**example_request(job_type.path), limits.name: make(secret)}

    # When it is submitted
    response = gateway.create_job(job_type.path, body)

    # Then it is refused naming the field, and nothing of the value comes back
    assert_refused(response, limits.name, secret=secret)
