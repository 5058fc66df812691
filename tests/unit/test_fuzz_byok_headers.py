"""Property-based tests (Hypothesis) of the BYOK header rules (cv_jobs/byok.py, DESIGN §3): whatever
headers arrive, the outcome is a credential or one of our two refusals, a refusal never repeats a
submitted value, and the documented rules hold for every input of their kind, not just examples."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cv_jobs.byok import (
    API_KEY_HEADER,
    MAX_KEY_LENGTH,
    MIN_KEY_LENGTH,
    PROVIDER_HEADER,
    credential_from_headers,
)
from cv_jobs.credentials import CredentialRequest, CredentialSource, Provider
from cv_jobs.errors import ApiError, ByokHeaderError, ByokRequired

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VISIBLE_ASCII = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
# Keys as a user pastes them: visible ASCII, within the limits.
valid_keys = st.text(VISIBLE_ASCII, min_size=MIN_KEY_LENGTH, max_size=MAX_KEY_LENGTH)
blank = st.sampled_from(["", " ", "\t", "  \t "])


def header_name_casing(name: str) -> st.SearchStrategy[str]:
    """The same header name in any mix of upper and lower case."""
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda flags: "".join(c.upper() if up else c.lower() for c, up in zip(name, flags, strict=True))
    )


def provider_spelling(provider: Provider) -> st.SearchStrategy[str]:
    """A provider name as a client may send it: any case, padded with spaces."""
    return st.tuples(header_name_casing(provider.value), blank, blank).map(lambda t: f"{t[1]}{t[0]}{t[2]}")


def _apply(headers: dict[str, str], *, system_path_enabled: bool) -> CredentialRequest | ApiError:
    """The credential, or the refusal the rules raised (anything else propagates and fails the test)."""
    try:
        return credential_from_headers(headers, system_path_enabled=system_path_enabled)
    except (ByokHeaderError, ByokRequired) as error:
        return error


@FUZZ
@given(
    headers=st.dictionaries(
        st.one_of(
            st.sampled_from([PROVIDER_HEADER, API_KEY_HEADER, "x-user-provider", "X-USER-API-KEY"]), st.text()
        ),
        st.text(),
        max_size=4,
    ),
    system_path_enabled=st.booleans(),
)
def test_any_headers_give_a_credential_or_one_of_our_refusals(
    headers: dict[str, str], system_path_enabled: bool
) -> None:
    # Given any header names and values, When the BYOK rules are applied
    outcome = _apply(headers, system_path_enabled=system_path_enabled)

    # Then a refusal is a 400 with our error body; a credential is the system's (no key) or the user's
    if isinstance(outcome, ApiError):
        assert outcome.status_code == 400
        assert set(outcome.body()) >= {"error", "detail"}
    else:
        assert (outcome.source is CredentialSource.SYSTEM) == (outcome.api_key is None)


@FUZZ
@given(
    key=st.text(min_size=MIN_KEY_LENGTH, max_size=600).map(lambda text: f"sk-fuzz-{text}"),
    provider=st.text(max_size=40),
    swapped=st.booleans(),
)
def test_a_refusal_never_repeats_a_submitted_key(key: str, provider: str, swapped: bool) -> None:
    # Given a key (possibly sent in the provider header by mistake) and any provider value
    headers = (
        {PROVIDER_HEADER: key, API_KEY_HEADER: provider}
        if swapped
        else {PROVIDER_HEADER: provider, API_KEY_HEADER: key}
    )

    # When the rules are applied
    outcome = _apply(headers, system_path_enabled=True)

    # Then a refusal's body holds neither the key nor its first characters
    if isinstance(outcome, ApiError):
        text = json.dumps(outcome.body())
        assert key not in text
        assert key.strip()[:12] not in text
    else:
        assert outcome.api_key is not None


@FUZZ
@given(
    provider=st.sampled_from(list(Provider)).flatmap(lambda p: st.tuples(st.just(p), provider_spelling(p))),
    key=valid_keys,
    provider_header=header_name_casing(PROVIDER_HEADER),
    key_header=header_name_casing(API_KEY_HEADER),
)
def test_valid_headers_in_any_case_run_with_that_provider_and_exactly_that_key(
    provider: tuple[Provider, str], key: str, provider_header: str, key_header: str
) -> None:
    # Given a known provider in any spelling and a key of visible ASCII within the limits
    expected, spelled = provider

    # When they are sent under header names in any case
    credential = credential_from_headers(
        {provider_header: spelled, key_header: key}, system_path_enabled=True
    )

    # Then the job runs with that provider and exactly that key, never the system key
    assert credential.source is CredentialSource.USER
    assert credential.provider is expected
    assert credential.api_key is not None
    assert credential.api_key.reveal() == key


@FUZZ
@given(
    key=st.one_of(
        st.text(VISIBLE_ASCII, max_size=MIN_KEY_LENGTH - 1).filter(lambda k: k.strip() != ""),
        st.text(VISIBLE_ASCII, min_size=MAX_KEY_LENGTH + 1, max_size=MAX_KEY_LENGTH + 40),
        st.tuples(
            valid_keys,
            st.characters(exclude_characters=[chr(c) for c in range(0x21, 0x7F)]),
            st.integers(0, 8),
        )
        .map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2] :])
        .filter(lambda k: k.strip() != ""),
    ),
    provider=st.sampled_from(list(Provider)),
)
def test_keys_out_of_length_or_with_other_characters_are_refused(key: str, provider: Provider) -> None:
    # Given a key too short, too long, or holding whitespace, control or non-ASCII characters
    headers = {PROVIDER_HEADER: provider.value, API_KEY_HEADER: key}

    # When the rules are applied, Then it is a 400 naming the key header
    with pytest.raises(ByokHeaderError) as refused:
        credential_from_headers(headers, system_path_enabled=True)
    assert API_KEY_HEADER in refused.value.message


@FUZZ
@given(
    present=st.sampled_from([PROVIDER_HEADER, API_KEY_HEADER]),
    value=st.text(VISIBLE_ASCII, min_size=1, max_size=60),
    other=st.one_of(st.none(), blank),
    system_path_enabled=st.booleans(),
)
def test_one_header_without_the_other_is_refused_naming_the_missing_one(
    present: str, value: str, other: str | None, system_path_enabled: bool
) -> None:
    # Given only one of the two headers (the other absent or blank)
    missing = API_KEY_HEADER if present == PROVIDER_HEADER else PROVIDER_HEADER
    headers = {present: value} if other is None else {present: value, missing: other}

    # When the rules are applied, Then the 400 names the header that is missing
    with pytest.raises(ByokHeaderError) as refused:
        credential_from_headers(headers, system_path_enabled=system_path_enabled)
    assert f"without {missing}" in refused.value.message


@FUZZ
@given(provider=st.one_of(st.none(), blank), key=st.one_of(st.none(), blank), unrelated=st.text(max_size=30))
def test_blank_headers_count_as_absent(provider: str | None, key: str | None, unrelated: str) -> None:
    # Given both BYOK headers absent or blank, and an unrelated header
    headers = {"X-Other": unrelated}
    if provider is not None:
        headers[PROVIDER_HEADER] = provider
    if key is not None:
        headers[API_KEY_HEADER] = key

    # When the rules are applied with the system path on and off
    system = credential_from_headers(headers, system_path_enabled=True)

    # Then it is the system path where allowed, and byok_required where not
    assert system.source is CredentialSource.SYSTEM
    assert system.api_key is None
    with pytest.raises(ByokRequired):
        credential_from_headers(headers, system_path_enabled=False)
