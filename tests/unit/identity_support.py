"""A test OpenID Connect issuer: an RSA key, its JWKS and discovery document served over loopback
HTTP, and tokens signed with it (or with a key it never published)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from local.http_server import BackgroundHTTPServer, QuietHandler

AUDIENCE = "cv-ai-jobs-test"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class _IssuerHandler(QuietHandler):
    server_owner: LocalIssuer

    def do_GET(self) -> None:
        owner = self.server_owner
        documents = {
            "/.well-known/openid-configuration": {"issuer": owner.url, "jwks_uri": f"{owner.url}/jwks"},
            "/jwks": owner.jwks(),
        }
        document = documents.get(self.path)
        if document is None:
            self.send(404, b"{}", [("Content-Type", "application/json")])
        else:
            self.send(200, json.dumps(document).encode(), [("Content-Type", "application/json")])


class LocalIssuer(BackgroundHTTPServer):
    handler_class = _IssuerHandler

    def __init__(self) -> None:
        super().__init__("127.0.0.1", 0)
        self.kid = uuid.uuid4().hex
        self._key = _key()
        self._stranger = _key()  # a key the issuer never published

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def token(
        self,
        sub: str,
        *,
        audience: str = AUDIENCE,
        issuer: str | None = None,
        expires_in: int = 300,
        foreign_key: bool = False,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload = {
            "iss": issuer or self.url,
            "aud": audience,
            "sub": sub,
            "iat": now,
            "exp": now + expires_in,
            **claims,
        }
        key = self._stranger if foreign_key else self._key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid})

    def environment(self) -> dict[str, str]:
        return {"OIDC_ISSUER": self.url, "OIDC_AUDIENCE": AUDIENCE}
