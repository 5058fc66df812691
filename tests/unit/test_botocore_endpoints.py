"""botocore's endpoint data, narrowed to the services the functions call (cv_jobs/aws/
botocore_endpoints.json): the first client of a cold start no longer reads and decodes botocore's
1.2 MB endpoints.json (some 10-19 ms), and every client resolves exactly as with the full data."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from botocore.regions import EndpointResolver

from cv_jobs.aws import clients
from infra.botocore_endpoints import SUBSET_PATH, endpoints_subset
from tests.unit.conftest import Aws

SERVICES = sorted(clients.SERVICES)


def full_endpoints() -> dict[str, Any]:
    return dict(botocore.loaders.create_loader().load_data("endpoints"))


def test_the_committed_subset_is_botocores_data_for_our_services() -> None:
    # Then the file in the repository is what `make endpoints` makes from the pinned botocore
    committed = json.loads(SUBSET_PATH.read_text())
    assert committed == endpoints_subset(full_endpoints(), clients.SERVICES), "stale: run make endpoints"
    # And it holds every partition, each with every service of ours that partition has
    assert [p["partition"] for p in committed["partitions"]] == [
        p["partition"] for p in full_endpoints()["partitions"]
    ]
    assert set(committed["partitions"][0]["services"]) == clients.SERVICES


def test_every_region_of_every_partition_resolves_as_with_the_full_data() -> None:
    full, subset = full_endpoints(), json.loads(SUBSET_PATH.read_text())
    by_full, by_subset = EndpointResolver(full), EndpointResolver(subset)
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
    """No client built yet in this process; returns the data files botocore reads from now on."""
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


def test_the_first_client_reads_the_subset_not_botocores_endpoints_json(
    aws: Aws, fresh_session: list[str]
) -> None:
    # When the first client of a cold start is built and used
    dynamodb = clients._build("dynamodb", clients.API_CONFIG)
    assert dynamodb.list_tables()["TableNames"]
    # Then botocore's own endpoints.json was never read, and its resolver counts the data as built in
    assert "endpoints" not in fresh_session
    resolver = clients._session._get_internal_component("endpoint_resolver")  # type: ignore[union-attr]
    assert resolver.uses_builtin_data


@pytest.mark.parametrize(
    "region", ["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1", "eu-isoe-west-1"]
)
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
    # Then they go to the same endpoint, signed for the same name and region
    assert ours.meta.endpoint_url == plain.meta.endpoint_url
    assert ours.meta.region_name == plain.meta.region_name
    assert ours._request_signer._signing_name == plain._request_signer._signing_name
    assert ours._request_signer.region_name == plain._request_signer.region_name


def test_data_of_ones_own_on_aws_data_path_is_read_as_botocore_would(
    fresh_session: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given an AWS_DATA_PATH with an endpoints.json of its own
    (tmp_path / "endpoints.json").write_text(json.dumps(full_endpoints()))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    # When the first client is built
    clients._build("sqs", clients.API_CONFIG)
    # Then that file is what botocore read, not the subset
    assert "endpoints" in fresh_session
    resolver = clients._session._get_internal_component("endpoint_resolver")  # type: ignore[union-attr]
    assert not resolver.uses_builtin_data
