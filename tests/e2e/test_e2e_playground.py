"""The playground page in a real browser (headless Chromium, Playwright) against the local stack: a
person submits a job and reads the result, sees refusals and failed jobs in plain words, tests a key,
and that key is never written to localStorage, sessionStorage, a cookie or the URL.

The page is served by the stack's playground server on a free port; the browser sees it at
http://127.0.0.1:5173 (an origin the dev environment allows), so its API calls are real cross-origin
calls through the local gateway's CORS handling, as the frontend's are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.browser import launch, missing
from tests.e2e.support import GATEWAY_API_KEY, GEMINI_BYOK_KEY, GatewayClient, LocalStack

pytestmark = pytest.mark.e2e

PAGE_ORIGIN = "http://127.0.0.1:5173"  # in the dev environment's CORS origins
REFUSED_OPENAI_KEY = "sk-canary-invalid-playground-0123456789"
TIMEOUT_MS = 20_000


class PlaygroundBrowser:
    """One browser context on an empty profile, the page origin mapped onto the stack's playground
    server; every request the browser sent that origin is kept."""

    def __init__(self, context: Any, stack: LocalStack) -> None:
        self.context = context
        self.page_requests: list[dict[str, Any]] = []

        def to_playground(route: Any) -> None:
            request = route.request
            self.page_requests.append(
                {"url": request.url, "headers": request.headers, "body": request.post_data or ""}
            )
            response = route.fetch(url=stack.playground_url + request.url[len(PAGE_ORIGIN) :])
            route.fulfill(response=response)

        context.route(f"{PAGE_ORIGIN}/**", to_playground)
        # A page Playwright fulfils has no network address of its own, so Chromium's Local Network
        # Access would treat its calls to the loopback API as coming from outside; the page served
        # by `make run` is a loopback page, which may. Grant what the real page has.
        context.grant_permissions(["local-network-access"], origin=PAGE_ORIGIN)

    def forget_jobs(self, stack: LocalStack) -> None:
        """Delete the jobs the pages ran (each page's last job is in its raw JSON): the stack is shared,
        and tests that scan its table while jobs run must stay fast."""
        job_ids = []
        for page in self.context.pages:
            raw = page.evaluate("document.querySelector('[data-testid=raw-json]')?.textContent ?? ''")
            if raw.strip():
                job_ids.append(json.loads(raw)["job_id"])
            page.close()
        stack.forget_jobs(job_ids)

    def open(self) -> Any:
        page = self.context.new_page()
        page.goto(f"{PAGE_ORIGIN}/")
        body = page.wait_for_selector("body[data-ready]", state="attached", timeout=TIMEOUT_MS)
        if body.get_attribute("data-ready") != "true":
            pytest.fail(f"the playground did not start: {page.inner_text('[data-testid=page-error]')}")
        return page


@pytest.fixture(scope="module")
def browser(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaygroundBrowser]:
    problem = missing()
    if problem:
        pytest.fail(problem, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path_factory.mktemp("chromium-profile"))
        try:
            yield PlaygroundBrowser(context, local_stack)
        finally:
            context.close()


@pytest.fixture(autouse=True)
def _forget_the_pages_jobs(request: pytest.FixtureRequest, local_stack: LocalStack) -> Iterator[None]:
    yield
    if "browser" in request.fixturenames:
        request.getfixturevalue("browser").forget_jobs(local_stack)


def _submit(page: Any, job_path: str, *, provider: str = "", key: str = "") -> None:
    page.select_option("[data-testid=job-type]", job_path)
    page.click("[data-testid=load-example]")
    page.select_option("[data-testid=provider]", provider)
    page.fill("[data-testid=user-key]", key)
    page.click("[data-testid=submit]")


def _final_status(page: Any) -> str:
    badge = page.wait_for_selector(
        "[data-testid=status]:is([data-status=succeeded],[data-status=failed],[data-status=cancelled])",
        timeout=TIMEOUT_MS,
    )
    return str(badge.get_attribute("data-status"))


def _raw_job(page: Any) -> dict[str, Any]:
    page.click("[data-testid=raw-toggle]")
    raw: dict[str, Any] = json.loads(page.inner_text("[data-testid=raw-json]"))
    return raw


def test_a_person_submits_an_extract_watches_it_and_reads_the_cv(
    browser: PlaygroundBrowser, gateway: GatewayClient
) -> None:
    # Given the page, an extract job and its example request (a sample CV and job description)
    page = browser.open()

    # When the person submits it and waits
    _submit(page, "extract")

    # Then the status ends in succeeded, with the elapsed time, the status changes and the attempts
    assert _final_status(page) == "succeeded"
    assert re.fullmatch(r"finished in \d+\.\d s", page.inner_text("[data-testid=elapsed]"))
    assert "succeeded at" in page.inner_text("[data-testid=timeline]")
    assert "attempts" in page.inner_text("[data-testid=job-facts]")
    # And the raw JSON, one click away, is the job as the API returns it
    job = _raw_job(page)
    assert job == gateway.get_job(job["job_id"]).json()
    # And the result reads as a CV: the name as a heading, each role with its company
    result = job["result"]
    assert page.inner_text(".cv-name") == result["personal"]["name"]
    view = page.text_content("[data-testid=result]") or ""
    for role in result["experience"]:
        assert role["company"] in view
    assert "Experience" in view
    assert "Skills" in view


def test_a_retry_is_shown_while_the_job_waits_for_its_next_attempt(
    browser: PlaygroundBrowser, local_stack: LocalStack
) -> None:
    # Given a provider that is unavailable for the job's first call
    page = browser.open()
    local_stack.openai.fail_next(503)

    # When the person submits a job
    _submit(page, "extract")

    # Then, while it waits, the page says it is retrying and why; then it succeeds on attempt 2
    facts = page.locator("[data-testid=job-facts]", has_text="after provider_unavailable: attempt 2 of")
    facts.wait_for(timeout=TIMEOUT_MS)
    assert _final_status(page) == "succeeded"
    assert _raw_job(page)["attempts"] == 2


def test_a_refused_request_and_a_failed_job_are_said_in_plain_words(
    browser: PlaygroundBrowser,
) -> None:
    # Given the page with an extract whose CV is only a few words
    page = browser.open()
    page.select_option("[data-testid=job-type]", "extract")
    page.fill("[data-testid=field-cv_text]", "Too short to be a CV.")

    # When it is submitted
    page.click("[data-testid=submit]")

    # Then the refusal is shown: what happened, which field, what to do; no job was started
    error = page.wait_for_selector("[data-testid=request-error]:not([hidden])", timeout=TIMEOUT_MS)
    text = error.inner_text()
    assert "refused the request (422 validation_error)" in text
    assert "cv_text" in text
    assert "Fix the fields" in text
    assert page.is_hidden("#job-view")

    # When a job runs on a key the provider refuses
    _submit(page, "extract", provider="openai", key=REFUSED_OPENAI_KEY)

    # Then it fails, and the page says why and what to do
    assert _final_status(page) == "failed"
    failure = page.inner_text("[data-testid=job-error]")
    assert "The job failed (invalid_api_key)" in failure
    assert "Check your key" in failure


def test_a_key_is_tested_used_and_never_stored_or_put_in_the_url(
    browser: PlaygroundBrowser, local_stack: LocalStack
) -> None:
    # Given the page and the user's Gemini key
    page = browser.open()
    page.select_option("[data-testid=provider]", "gemini")

    # When a key the provider refuses is tested, then the user's working key
    page.fill("[data-testid=user-key]", "AIza-canary-invalid-0123456789")
    page.click("[data-testid=test-key]")
    refused = page.wait_for_selector("[data-testid=key-result][data-valid=false]", timeout=TIMEOUT_MS)
    assert "Key refused." in refused.inner_text()
    page.fill("[data-testid=user-key]", GEMINI_BYOK_KEY)
    page.click("[data-testid=test-key]")
    accepted = page.wait_for_selector("[data-testid=key-result][data-valid=true]", timeout=TIMEOUT_MS)
    assert "Key accepted." in accepted.inner_text()

    # And a job is run with it
    before = len(local_stack.gemini.requests)
    _submit(page, "evaluate", provider="gemini", key=GEMINI_BYOK_KEY)
    assert _final_status(page) == "succeeded"

    # Then the job ran on the user's key at Gemini, and the page shows its evaluation as scores
    assert "gemini (your key)" in page.inner_text("[data-testid=job-facts]")
    calls = local_stack.gemini.requests[before:]
    assert any(call.header("x-goog-api-key") == GEMINI_BYOK_KEY for call in calls)
    assert "/ 10" in page.inner_text("[data-testid=result]")
    # And the key is nowhere the browser keeps things or shows addresses
    kept = page.evaluate(
        """async () => ({
            local: JSON.stringify(Object.entries(localStorage)),
            session: JSON.stringify(Object.entries(sessionStorage)),
            cookie: document.cookie,
            url: location.href,
            databases: JSON.stringify(await indexedDB.databases()),
            caches: JSON.stringify(await caches.keys()),
        })"""
    )
    assert (kept["local"], kept["session"], kept["cookie"], kept["databases"], kept["caches"]) == (
        "[]",
        "[]",
        "",
        "[]",
        "[]",
    )
    assert kept["url"] == page.url == f"{PAGE_ORIGIN}/"
    assert browser.context.cookies() == []
    # nor was it ever sent to the page's own server
    for request in browser.page_requests:
        assert GEMINI_BYOK_KEY not in json.dumps(request)
        assert GATEWAY_API_KEY not in request["url"]


def test_the_page_carries_no_inline_script_and_limits_where_it_may_connect(local_stack: LocalStack) -> None:
    # Given the playground's page as its server sends it
    import httpx

    response = httpx.get(f"{local_stack.playground_url}/")

    # Then it may only load its own files and call the API, and names no key itself
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert f"connect-src 'self' {local_stack.api_url}" in policy
    assert "<script>" not in response.text
    assert GATEWAY_API_KEY not in response.text
    # while the local key it needs comes from config.json, which no cache may keep
    config = httpx.get(f"{local_stack.playground_url}/config.json")
    assert config.json()["api_key"] == GATEWAY_API_KEY
    assert config.headers["cache-control"] == "no-store"
    # and nothing outside the playground folder is served
    assert httpx.get(f"{local_stack.playground_url}/../local/run.py").status_code == 404
    assert httpx.get(f"{local_stack.playground_url}/%2e%2e/run.py").status_code == 404


def test_the_samples_the_page_offers_are_the_repositorys(local_stack: LocalStack) -> None:
    import httpx

    from local.examples import EXAMPLE_PATHS, SAMPLES, example_request

    # When the page asks for its samples
    document = httpx.get(f"{local_stack.playground_url}/samples.json").json()

    # Then they are samples/ files and an example request for every job path
    for sample in document["samples"]:
        assert sample["text"] == (SAMPLES / Path(sample["name"]).name).read_text(encoding="utf-8")
    assert {sample["kind"] for sample in document["samples"]} == {"cv", "job_description"}
    assert document["examples"] == {path: example_request(path) for path in EXAMPLE_PATHS}
