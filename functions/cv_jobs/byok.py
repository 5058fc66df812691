"""The BYOK header rules (DESIGN §3): which provider and whose key a new job runs with."""

from __future__ import annotations

from collections.abc import Mapping

from cv_jobs.credentials import ApiKey, CredentialRequest, CredentialSource, Provider
from cv_jobs.errors import ByokHeaderError, ByokRequired

PROVIDER_HEADER = "X-User-Provider"
API_KEY_HEADER = "X-User-Api-Key"
MIN_KEY_LENGTH = 8
MAX_KEY_LENGTH = 512


def credential_from_headers(
    headers: Mapping[str, str] | None, *, system_path_enabled: bool
) -> CredentialRequest:
    """Apply the BYOK rules. Raises ByokHeaderError / ByokRequired with messages that name the
    header at fault and never echo a submitted header value."""
    by_name = {name.lower(): value for name, value in (headers or {}).items()}
    provider_value = _present(by_name.get(PROVIDER_HEADER.lower()))
    key_value = _present(by_name.get(API_KEY_HEADER.lower()))

    if provider_value is None and key_value is None:
        if not system_path_enabled:
            raise ByokRequired(
                f"This environment needs your own key: send {PROVIDER_HEADER} and {API_KEY_HEADER}."
            )
        return CredentialRequest(provider=Provider.OPENAI, source=CredentialSource.SYSTEM)
    if provider_value is None:
        raise ByokHeaderError(f"{API_KEY_HEADER} was sent without {PROVIDER_HEADER}.")
    if key_value is None:
        raise ByokHeaderError(f"{PROVIDER_HEADER} was sent without {API_KEY_HEADER}.")

    return CredentialRequest(
        provider=_provider(provider_value),
        source=CredentialSource.USER,
        api_key=_api_key(key_value),
    )


def _present(value: str | None) -> str | None:
    """A blank header counts as absent."""
    if value is None or not value.strip():
        return None
    return value


def _provider(value: str) -> Provider:
    name = value.strip().lower()
    try:
        return Provider(name)
    except ValueError:
        allowed = ", ".join(p.value for p in Provider)
        # Never echoed: a client that swaps the two headers sends its key here.
        raise ByokHeaderError(f"{PROVIDER_HEADER} must be one of: {allowed}.") from None


def _api_key(value: str) -> ApiKey:
    if not MIN_KEY_LENGTH <= len(value) <= MAX_KEY_LENGTH:
        raise ByokHeaderError(
            f"{API_KEY_HEADER} must be {MIN_KEY_LENGTH} to {MAX_KEY_LENGTH} characters long."
        )
    # Visible ASCII only: whitespace or control characters mean a copy-paste accident, and any
    # other character cannot be a provider key.
    if not all("!" <= char <= "~" for char in value):
        raise ByokHeaderError(
            f"{API_KEY_HEADER} must not contain whitespace, control or non-ASCII characters."
        )
    return ApiKey(value)
