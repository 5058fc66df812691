"""End-user identity: the authorizer accepts only the issuer's valid tokens for this audience, and
through the local gateway each user sees only their own jobs (as each API key does)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest

from cv_jobs.api import handler as api_handler
from cv_jobs.identity import authorizer
from cv_jobs.observability import PublicError
from local.gateway import LocalGateway
from tests.unit.conftest import Aws, Logs
from tests.unit.events import api_context
from tests.unit.identity_support import AUDIENCE, LocalIssuer
from tests.unit.samples import sample

METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/ai/jobs/x"
KEY_A, KEY_B = "org-canary-gateway-key-a-0123", "org-canary-gateway-key-b-0123"


@pytest.fixture
def issuer(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalIssuer]:
    with LocalIssuer() as server:
        for name, value in server.environment().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("OIDC_JWKS_URI", raising=False)
        authorizer._verifier.cache_clear()
        yield server
        authorizer._verifier.cache_clear()


def _authorize(token: str) -> dict[str, Any]:
    event = {"type": "TOKEN", "authorizationToken": token, "methodArn": METHOD_ARN}
    result: dict[str, Any] = authorizer.lambda_handler(event, api_context())
    return result


def test_a_valid_token_allows_the_stage_for_its_subject(issuer: LocalIssuer) -> None:
    # When a token the issuer signed for this audience is presented
    result = _authorize(f"Bearer {issuer.token('alice')}")

    # Then the whole stage is allowed for alice, and her sub goes to the api function
    assert result["principalId"] == "alice"
    assert result["context"] == {"sub": "alice"}
    [statement] = result["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*",
    }


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda issuer: issuer.token("alice", expires_in=-120), "ExpiredSignatureError"),
        (lambda issuer: issuer.token("alice", audience="another-app"), "InvalidAudienceError"),
        (lambda issuer: issuer.token("alice", issuer="https://evil.example.com"), "InvalidIssuerError"),
        (lambda issuer: issuer.token("alice", foreign_key=True), "InvalidSignatureError"),
        (lambda issuer: issuer.token(""), "InvalidTokenError"),
        (lambda issuer: jwt.encode({"sub": "alice", "aud": AUDIENCE}, "s" * 32, algorithm="HS256"), None),
        (lambda issuer: "not-a-jwt", None),
    ],
    ids=["expired", "audience", "issuer", "foreign-key", "empty-sub", "hs256", "garbage"],
)
def test_anything_but_a_valid_token_is_unauthorized(
    issuer: LocalIssuer, logs: Logs, make_token: Any, reason: str | None
) -> None:
    token = make_token(issuer)

    # When it is presented, then API Gateway is told "Unauthorized" (its 401), nothing more
    with pytest.raises(PublicError, match=r"^Unauthorized$"):
        _authorize(f"Bearer {token}")
    # and the log says why, but never holds the token
    if reason:
        assert reason in logs.text
    assert token not in logs.text


@pytest.mark.parametrize("header", ["", "Basic YWxpY2U6cHc=", "Bearer "])
def test_no_bearer_token_is_unauthorized(issuer: LocalIssuer, header: str) -> None:
    with pytest.raises(PublicError, match=r"^Unauthorized$"):
        _authorize(header)


def test_plain_http_issuers_are_refused_unless_on_loopback() -> None:
    with pytest.raises(ValueError, match="https"):
        authorizer.IdentitySettings.from_env({"OIDC_ISSUER": "http://idp.example.com", "OIDC_AUDIENCE": "a"})
    authorizer.IdentitySettings.from_env({"OIDC_ISSUER": "http://127.0.0.1:9", "OIDC_AUDIENCE": "a"})


@pytest.fixture
def gateway(aws: Aws, issuer: LocalIssuer) -> Iterator[LocalGateway]:
    """The local gateway with two API keys and the authorizer, in front of the real api handler."""
    api_handler._app.cache_clear()
    server = LocalGateway(
        api_handler=api_handler.lambda_handler,
        key_check_handler=api_handler.lambda_handler,
        api_key=KEY_A,
        api_keys=[KEY_B],
        authorizer_handler=authorizer.lambda_handler,
        cors_origins=["http://localhost:5173"],
        job_paths=["extract"],
        port=0,
        log=lambda line: None,
    )
    with server:
        yield server


def _submit(gateway: LocalGateway, key: str, token: str | None) -> httpx.Response:
    headers = {"X-API-Key": key, **({"Authorization": f"Bearer {token}"} if token else {})}
    body = {"cv_text": sample("cv_backend_engineer.txt")}
    return httpx.post(f"{gateway.url}/ai/jobs/extract", json=body, headers=headers, timeout=10)


def _get(gateway: LocalGateway, job_id: str, key: str, token: str | None) -> httpx.Response:
    headers = {"X-API-Key": key, **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.get(f"{gateway.url}/ai/jobs/{job_id}", headers=headers, timeout=10)


def test_over_http_each_user_and_each_api_key_sees_only_its_own_jobs(
    gateway: LocalGateway, issuer: LocalIssuer
) -> None:
    alice, bob = issuer.token("alice"), issuer.token("bob")
    # Given a job alice created through key A
    created = _submit(gateway, KEY_A, alice)
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]

    # When alice, bob (same key) and alice through key B ask for it
    mine = _get(gateway, job_id, KEY_A, alice)
    bobs = _get(gateway, job_id, KEY_A, bob)
    other_key = _get(gateway, job_id, KEY_B, alice)

    # Then only alice through key A sees it; the others get the 404 of a job that does not exist
    assert mine.status_code == 200
    assert mine.json()["status"] == "queued"
    assert bobs.status_code == other_key.status_code == 404
    assert bobs.json()["error"]["code"] == other_key.json()["error"]["code"] == "job_not_found"


def test_over_http_a_job_route_without_a_valid_token_is_a_401(
    gateway: LocalGateway, issuer: LocalIssuer
) -> None:
    no_token = _submit(gateway, KEY_A, None)
    expired = _submit(gateway, KEY_A, issuer.token("alice", expires_in=-120))

    assert no_token.status_code == expired.status_code == 401
    assert no_token.json()["error"]["code"] == "UNAUTHORIZED"
    # The OpenAPI document needs the API key only
    document = httpx.get(f"{gateway.url}/ai/openapi.json", headers={"X-API-Key": KEY_A}, timeout=10)
    assert document.status_code == 200
