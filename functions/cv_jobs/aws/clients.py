"""AWS SDK clients for the functions: built on first use, with timeouts and retries suited to a
Lambda that answers a browser.

Cold start is paid by the user's first click, so this module pays only for what a request uses:
- botocore directly, not boto3: boto3's import (its resource layer, s3transfer) adds about 40 ms
  and nothing here needs it;
- a client is built the first time something calls it, so a poll (GET) never builds the SQS or
  KMS client and a system-path job never builds KMS;
- botocore is told which services exist (the ones built here) instead of listing every folder
  of its data to find out, on the first client of each cold start;
- botocore's data comes narrowed to the services below (botocore_data/, made by `make botocore-data`):
  the endpoints of those services only (not its 1.2 MB endpoints.json) and their models without
  documentation strings (a fifth of the size), about 25 ms less for a cold start's first request;
- the jobs table is reached through the low-level DynamoDB client with a small adapter that speaks
  the `Table` methods the jobs store uses, instead of boto3's resource (whose models are loaded
  and whose classes are made at run time).
"""

from __future__ import annotations

import json
import os
import threading
from base64 import b64decode
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
)
# The api answers a browser within a 10 s Lambda: one try is bounded by these timeouts, and its
# callers retry within the invocation's remaining time (cv_jobs.aws.transient.retry_within), so a
# hung call can never outlast the Lambda. botocore's own retries would not know the deadline.
API_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"mode": "standard", "total_max_attempts": 1},
)
# What one try of an api call may take, at most (connect + read timeout).
API_ATTEMPT_SECONDS = 3.0

# Every service the functions call: what botocore_data/ holds (`make botocore-data`).
SERVICES = frozenset({"dynamodb", "kms", "secretsmanager", "sqs"})
_NARROWED_DATA = Path(__file__).with_name("botocore_data")

# botocore sessions are not safe to build clients from in several threads at once (the worker
# runs the records of a batch in threads); clients themselves are.
_lock = threading.Lock()
_session: botocore.session.Session | None = None
# The services this process has built clients for (what _KnownServicesLoader answers).
_services: set[str] = set()


class _KnownServicesLoader(Loader):
    """botocore's data loader, told which services exist rather than finding out, and serving our
    narrowed copies of its data (botocore_data/) where there are some.

    Before it loads a service's model, botocore checks the name against a list of every service it
    ships, made by listing each of some 400 folders (twice: models and endpoint rules), about
    15 ms of the first client's cold start. The names it is told are those this module has built
    clients for, all of them in SERVICES (_build refuses any other)."""

    def __init__(self, services: set[str], search_paths: list[str]) -> None:
        # Data of one's own on AWS_DATA_PATH is read as botocore reads it, never replaced.
        self._narrowed = None if search_paths else str(_NARROWED_DATA)
        # A copy: botocore appends its default paths to the list it is given.
        super().__init__(extra_search_paths=list(search_paths))
        self._known = services

    def list_available_services(self, type_name: str) -> list[str]:
        return sorted(self._known)

    def load_data_with_path(self, name: str) -> tuple[Any, str]:
        """Our narrowed copy of a file where there is one (the endpoints, each service's model for the
        API version botocore chose), else botocore's own."""
        if self._narrowed is not None:
            path = os.path.join(self._narrowed, f"{name}.json")
            if os.path.isfile(path):
                with open(path, "rb") as file:
                    return json.load(file), path
        return super().load_data_with_path(name)

    def is_builtin_path(self, path: str) -> bool:
        # The narrowed data is botocore's own: its endpoint resolver must treat it as built in (with
        # data of one's own, botocore resolves endpoints the legacy way).
        narrowed = self._narrowed is not None and path.startswith(self._narrowed + os.sep)
        return narrowed or bool(super().is_builtin_path(path))


def _new_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    # AWS_DATA_PATH, read as botocore's own loader reads it.
    data_path = session.get_config_variable("data_path") or ""
    paths = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep) if path]
    session.register_component("data_loader", _KnownServicesLoader(_services, paths))
    return session


def _build(service: str, config: Config) -> Any:
    global _session
    if service not in SERVICES:
        # The narrowed data covers SERVICES only: a new one belongs there (then `make botocore-data`).
        raise ValueError(f"{service!r} is not one of the services the functions call: {sorted(SERVICES)}")
    with _lock:
        if _session is None:
            _session = _new_session()
        _services.add(service)
        return _session.create_client(service, config=config)


class LazyClient:
    """Stands in for a botocore client and builds it on the first method call."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._factory()
                client = self._client
        return getattr(client, name)


def client(service: str, config: Config = _CONFIG) -> Any:
    """A client for `service`, built when first used."""
    return LazyClient(lambda: _build(service, config))


def table(name: str, config: Config = _CONFIG) -> Table:
    return Table(client("dynamodb", config), name)


class Table:
    """The DynamoDB `Table` methods the jobs store calls (put, get, update, delete an item), with
    plain Python values in and out as boto3's resource would take and give them: strings, numbers
    (Decimal out), booleans, None, bytes, lists and dicts. Expressions are strings."""

    def __init__(self, dynamodb: Any, name: str) -> None:
        self._dynamodb = dynamodb
        self.name = name

    def put_item(self, *, Item: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._call("put_item", {"Item": _to_map(Item)}, kwargs)

    def get_item(self, *, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._call("get_item", {"Key": _to_map(Key)}, kwargs)

    def update_item(self, *, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._call("update_item", {"Key": _to_map(Key)}, kwargs)

    def delete_item(self, *, Key: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return self._call("delete_item", {"Key": _to_map(Key)}, kwargs)

    def query(self, **kwargs: Any) -> dict[str, Any]:
        """One page of a query (the sweeper reads the status index); keys and items as plain values."""
        if "ExclusiveStartKey" in kwargs:
            kwargs = {**kwargs, "ExclusiveStartKey": _to_map(kwargs["ExclusiveStartKey"])}
        response = self._call("query", {}, kwargs)
        response["Items"] = [_from_map(item) for item in response.get("Items", [])]
        if "LastEvaluatedKey" in response:
            response["LastEvaluatedKey"] = _from_map(response["LastEvaluatedKey"])
        return response

    def _call(self, operation: str, arguments: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        if "ExpressionAttributeValues" in kwargs:
            kwargs = {**kwargs, "ExpressionAttributeValues": _to_map(kwargs["ExpressionAttributeValues"])}
        for name in ("ConditionExpression", "UpdateExpression", "KeyConditionExpression"):
            if name in kwargs and not isinstance(kwargs[name], str):
                raise TypeError(f"{name} must be a string expression")
        response: dict[str, Any] = getattr(self._dynamodb, operation)(
            TableName=self.name, **arguments, **kwargs
        )
        for name in ("Item", "Attributes"):
            if name in response:
                response[name] = _from_map(response[name])
        return response


def _number(value: int | Decimal) -> str:
    """The number as DynamoDB takes it. One with more than 38 digits but no more significant ones
    (an integer read back from a stored 1E+38, say) goes in exponent form: DynamoDB counts significant
    digits, but boto3 and other readers refuse to read 39 digits back."""
    text = str(value)
    if len(text.lstrip("-").replace(".", "")) > 38:
        return str(Decimal(value).normalize())
    return text


def _to_map(values: dict[str, Any]) -> dict[str, Any]:
    return {key: _to_attribute(value) for key, value in values.items()}


def _to_attribute(value: Any) -> dict[str, Any]:
    # bool before int: True is an int to Python.
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": _number(value)}
    if isinstance(value, float):
        # As boto3: a float would be stored rounded; callers convert to Decimal on purpose.
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    if isinstance(value, bytes | bytearray):
        return {"B": bytes(value)}
    if isinstance(value, dict):
        return {"M": _to_map(value)}
    if isinstance(value, list | tuple):
        return {"L": [_to_attribute(item) for item in value]}
    raise TypeError(f"Unsupported type {type(value).__name__} for a DynamoDB value")


def _from_map(attributes: dict[str, Any]) -> dict[str, Any]:
    return {key: _from_attribute(value) for key, value in attributes.items()}


def _from_attribute(attribute: dict[str, Any]) -> Any:
    [(kind, value)] = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        return Decimal(value)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return _from_map(value)
    if kind == "L":
        return [_from_attribute(item) for item in value]
    if kind == "B":
        return value if isinstance(value, bytes) else b64decode(value)
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {Decimal(item) for item in value}
    if kind == "BS":
        return set(value)
    raise TypeError(f"Unknown DynamoDB attribute type {kind}")
