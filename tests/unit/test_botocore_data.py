"""botocore's data narrowed to the services the functions call (cv_jobs/aws/botocore_data/): a cold
start's first clients no longer read and decode botocore's 1.2 MB endpoints.json nor the services'
documentation (about 25 ms), and every client resolves, signs and serializes as with the full data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.regions import EndpointResolver

from cv_jobs.aws import clients
from infra.botocore_data import DATA_DIR, narrowed_data
from tests.unit.conftest import Aws

SERVICES = sorted(clients.SERVICES)
REGIONS = ["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1"]


def full_endpoints() -> dict[str, Any]:
    return dict(botocore.loaders.create_loader().load_data("endpoints"))


def committed(name: str) -> Any:
    return json.loads((DATA_DIR / f"{name}.json").read_text())


def test_the_committed_data_is_what_the_pinned_botocore_makes() -> None:
    expected = narrowed_data(clients.SERVICES)
    files = sorted(str(path.relative_to(DATA_DIR).with_suffix("")) for path in DATA_DIR.rglob("*.json"))
    assert files == sorted(expected), "stale: run make botocore-data"
    for name, content in expected.items():
        assert committed(name) == content, f"{name} is stale: run make botocore-data"


def _left_out(full: Any, narrowed: Any, found: set[str]) -> set[str]:
    """The keys of `full` that `narrowed` leaves out, anywhere; fails where a value kept differs."""
    if isinstance(full, dict):
        assert isinstance(narrowed, dict)
        found |= set(full) - set(narrowed)
        assert set(narrowed) <= set(full)
        for key in narrowed:
            _left_out(full[key], narrowed[key], found)
    elif isinstance(full, list):
        assert isinstance(narrowed, list)
        assert len(full) == len(narrowed)
        for full_item, narrowed_item in zip(full, narrowed, strict=True):
            _left_out(full_item, narrowed_item, found)
    else:
        assert full == narrowed
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_a_model_leaves_out_its_documentation_and_nothing_else(service: str) -> None:
    loader = botocore.loaders.create_loader()
    version = loader.determine_latest_version(service, "service-2")
    full = loader.load_data(f"{service}/{version}/service-2")
    assert _left_out(full, committed(f"{service}/{version}/service-2"), set()) == {"documentation"}


def test_the_endpoints_keep_every_partition_and_of_its_services_ours() -> None:
    endpoints = committed("endpoints")
    assert [p["partition"] for p in endpoints["partitions"]] == [
        p["partition"] for p in full_endpoints()["partitions"]
    ]
    assert set(endpoints["partitions"][0]["services"]) == clients.SERVICES


def test_every_region_of_every_partition_resolves_as_with_the_full_data() -> None:
    full = full_endpoints()
    by_full, by_subset = EndpointResolver(full), EndpointResolver(committed("endpoints"))
    checked = 0
    for partition in full["partitions"]:
        for region in partition["regions"]:
            for service in SERVICES:
                for fips in (False, True):
                    expected = by_full.construct_endpoint(service, region, use_fips_endpoint=fips)
                    assert by_subset.construct_endpoint(service, region, use_fips_endpoint=fips) == expected
                    checked += 1
    assert checked > 100


@pytest.fixture
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No client built yet in this process; returns the botocore data files read from now on."""
    monkeypatch.setattr(clients, "_session", None)
    monkeypatch.setattr(clients, "_services", set())
    read: list[str] = []
    original = botocore.loaders.JSONFileLoader.load_file

    def recorded(self: Any, file_path: str) -> Any:
        data = original(self, file_path)
        if data is not None:
            read.append(os.path.basename(file_path))
        return data

    monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", recorded)
    return read


def test_the_first_clients_read_the_narrowed_data_not_botocores(aws: Aws, fresh_session: list[str]) -> None:
    # When a cold start's clients are built and used
    dynamodb = clients._build("dynamodb", clients.API_CONFIG)
    assert dynamodb.list_tables()["TableNames"]
    clients._build("sqs", clients.API_CONFIG).list_queues()
    # Then botocore's own endpoints.json and service models were never read
    assert "endpoints" not in fresh_session
    assert "service-2" not in fresh_session
    # And its resolver counts the data as built in (else it resolves endpoints the legacy way)
    resolver = clients._session._get_internal_component("endpoint_resolver")  # type: ignore[union-attr]
    assert resolver.uses_builtin_data


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("service", SERVICES)
def test_a_client_is_configured_as_with_the_full_data(
    fresh_session: list[str], monkeypatch: pytest.MonkeyPatch, region: str, service: str
) -> None:
    # Given no endpoint URL from the environment (the cloud's case)
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    # When our client and a plain botocore client are built for the same service and region
    ours = clients._build(service, clients.API_CONFIG)
    plain = botocore.session.get_session().create_client(service, region_name=region)
    # Then they go to the same endpoint, signed for the same name and region, with the same operations
    assert ours.meta.endpoint_url == plain.meta.endpoint_url
    assert ours.meta.region_name == plain.meta.region_name
    assert ours._request_signer._signing_name == plain._request_signer._signing_name
    assert ours._request_signer.region_name == plain._request_signer.region_name
    assert ours.meta.service_model.operation_names == plain.meta.service_model.operation_names


# A call of each kind the functions make, as they make it (values made up).
CALLS: list[tuple[str, str, dict[str, Any]]] = [
    ("dynamodb", "put_item", {"TableName": "jobs", "Item": {"job_id": {"S": "j"}, "n": {"N": "1"}},
                              "ConditionExpression": "attribute_not_exists(job_id)"}),
    ("dynamodb", "update_item", {"TableName": "jobs", "Key": {"job_id": {"S": "j"}},
                                 "UpdateExpression": "SET #s = :s",
                                 "ExpressionAttributeNames": {"#s": "status"},
                                 "ExpressionAttributeValues": {":s": {"S": "done"}},
                                 "ReturnValues": "ALL_NEW"}),
    ("dynamodb", "transact_write_items", {"TransactItems": [{"Update": {
        "TableName": "budgets", "Key": {"id": {"S": "b"}}, "UpdateExpression": "ADD spent :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}}}], "ClientRequestToken": "budget-j"}),
    ("dynamodb", "query", {"TableName": "jobs", "IndexName": "by_status",
                           "KeyConditionExpression": "#s = :s", "ExpressionAttributeNames": {"#s": "status"},
                           "ExpressionAttributeValues": {":s": {"S": "queued"}}}),
    ("kms", "encrypt", {"KeyId": "alias/k", "Plaintext": b"canary-not-a-key",
                        "EncryptionContext": {"job_id": "j"}}),
    ("kms", "decrypt", {"CiphertextBlob": b"sealed", "EncryptionContext": {"job_id": "j"}}),
    ("sqs", "send_message", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "MessageBody": "{}",
                             "MessageAttributes": {"k": {"DataType": "Binary", "BinaryValue": b"x"}}}),
    ("sqs", "change_message_visibility", {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                                          "ReceiptHandle": "r", "VisibilityTimeout": 5}),
    ("secretsmanager", "get_secret_value", {"SecretId": "arn:aws:secretsmanager:us-east-1:1:secret:s"}),
]  # fmt: skip


def _sent(client: Any, operation: str, params: dict[str, Any]) -> tuple[str, str, bytes]:
    """What the client puts on the wire for this call (answered by a canned 200, never sent)."""
    sent: list[Any] = []

    def capture(request: Any, **_: Any) -> AWSResponse:
        sent.append(request)
        return AWSResponse(request.url, 200, {}, _Raw(b"{}"))

    client.meta.events.register("before-send", capture)
    getattr(client, operation)(**params)
    [request] = sent
    return request.url, request.headers.get("X-Amz-Target", b""), request.body


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


@pytest.mark.parametrize(("service", "operation", "params"), CALLS, ids=[f"{c[0]}.{c[1]}" for c in CALLS])
def test_each_call_is_serialized_as_with_the_full_model(
    fresh_session: list[str],
    monkeypatch: pytest.MonkeyPatch,
    service: str,
    operation: str,
    params: dict[str, Any],
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ours = clients._build(service, clients.API_CONFIG)
    plain = botocore.session.get_session().create_client(service)
    assert _sent(ours, operation, params) == _sent(plain, operation, params)


def test_data_of_ones_own_on_aws_data_path_is_read_as_botocore_would(
    fresh_session: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given an AWS_DATA_PATH with an endpoints.json of its own
    (tmp_path / "endpoints.json").write_text(json.dumps(full_endpoints()))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # When the first client is built
    clients._build("sqs", clients.API_CONFIG)
    # Then botocore read that file and its own model, not the narrowed data
    assert "endpoints" in fresh_session
    assert "service-2" in fresh_session
    resolver = clients._session._get_internal_component("endpoint_resolver")  # type: ignore[union-attr]
    assert not resolver.uses_builtin_data
