"""Who a job belongs to: the API key that created it and, where identity is on, the end user.

API Gateway puts the id of the caller's API key in `requestContext.identity.apiKeyId` (never the key
itself), and a Lambda authorizer's verified user in `requestContext.authorizer` (`sub`, or the
`principalId`). Both are stored on the job at creation; any other caller asking for it is told it
does not exist (404), so job ids cannot be probed either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OWNER_KEY_FIELD = "owner_key"
OWNER_USER_FIELD = "owner_user"
# A request without an API key id only reaches the function when no key is required (never in the
# stack, where every job route requires one); such callers share this one owner.
NO_API_KEY = "none"


@dataclass(frozen=True)
class Owner:
    api_key_id: str
    user: str | None = None  # the verified JWT's `sub`, when the environment turns identity on

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> Owner:
        context = event.get("requestContext") or {}
        identity = context.get("identity") or {}
        authorizer = context.get("authorizer") or {}
        user = authorizer.get("sub") or authorizer.get("principalId") or None
        return cls(api_key_id=str(identity.get("apiKeyId") or NO_API_KEY), user=str(user) if user else None)

    def record_fields(self) -> dict[str, str]:
        fields = {OWNER_KEY_FIELD: self.api_key_id}
        if self.user is not None:
            fields[OWNER_USER_FIELD] = self.user
        return fields

    def owns(self, item: Mapping[str, Any]) -> bool:
        """True only for a job created by this API key and (when either has one) this user. A job
        with no owner recorded belongs to nobody who asks."""
        return item.get(OWNER_KEY_FIELD) == self.api_key_id and item.get(OWNER_USER_FIELD) == self.user

    def budget_scopes(self) -> list[str]:
        """The per-client budget counters this caller spends from: its API key, and its user."""
        scopes = [f"key#{self.api_key_id}"]
        if self.user is not None:
            scopes.append(f"user#{self.user}")
        return scopes
