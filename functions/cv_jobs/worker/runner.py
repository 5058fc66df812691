"""Runs one job: claim it, get its key, call the provider, record the outcome.

The job record written by the api is the truth about provider, credential and job type; the
message only carries the sealed key. Retry rule: a retryable failure gives the job back and
reports the message as failed, to come back after a backoff (retries.py), until `max_attempts` or
the queue's last delivery, whichever comes first; then, and for every terminal failure, the job
fails at once. A duplicate that finds a live lease comes back when that lease ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from cv_jobs import job_metrics
from cv_jobs.aws.jobs_store import Claim, JobsStore
from cv_jobs.aws.key_sealer import KeySealer, KeyServiceUnavailable, KeyUnsealingError
from cv_jobs.aws.system_key import SystemKeyMissing, SystemKeyProvider, SystemKeyUnavailable
from cv_jobs.credentials import ApiKey, CredentialSource, Provider
from cv_jobs.deadline import Deadline
from cv_jobs.error_summary import error_summary
from cv_jobs.errors import JobErrorCode, JobFailure
from cv_jobs.job_types import BY_NAME, JobType
from cv_jobs.job_types.base import Prompt, Step
from cv_jobs.job_types.schema import provider_schema
from cv_jobs.jobs import JobStatus
from cv_jobs.log_keys import add_job_log_keys, logged_job
from cv_jobs.observability import logger, metrics, secret_in_use
from cv_jobs.settings import WorkerSettings
from cv_jobs.worker.backoff import retry_delay
from cv_jobs.worker.messages import Delivery
from cv_jobs.worker.providers import build_client, model_for
from cv_jobs.worker.providers.base import LlmRequest, ProviderClient
from cv_jobs.worker.retries import RetryLater, give_back_delay, keep_writing, retry_notice
from cv_jobs.worker.steps import JobLost, run_steps

__all__ = ["Deadline", "JobRunner", "RetryLater"]

ClientFactory = Callable[[Provider, ApiKey, WorkerSettings], ProviderClient]

# Below this, an LLM call cannot finish: fail fast as a timeout instead of starting it.
_MIN_CALL_SECONDS = 3.0


class JobRunner:
    def __init__(
        self,
        *,
        settings: WorkerSettings,
        store: JobsStore,
        sealer: KeySealer,
        system_keys: SystemKeyProvider,
        client_factory: ClientFactory = build_client,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._store = store
        self._sealer = sealer
        self._system_keys = system_keys
        self._client_factory = client_factory
        self._clock = clock

    @logged_job
    def run(self, message: Delivery, deadline: Deadline) -> None:
        claim = self._claim(message, deadline)
        if claim is None:
            return
        log = {"job_id": message.job_id, "job_type": claim.item.get("job_type")}
        add_job_log_keys(attempt=int(claim.item.get("attempts", 1)))

        if int(claim.item.get("attempts", 1)) > self._settings.max_attempts:
            # Every earlier attempt died without recording an outcome (timeout, out of memory):
            # end the job rather than let its message reach the DLQ with the job still running.
            failure = JobFailure(JobErrorCode.INTERNAL_ERROR, log_hint="attempts exhausted by crashes")
            self._record_failure(claim, failure, log, message, deadline)
            return

        logger.info("job started", extra={"model": claim.item.get("model")})
        started = time.monotonic()
        try:
            result, usage = self._attempt(claim, message, deadline)
        except JobFailure as failure:
            self._record_failure(claim, failure, log, message, deadline)
            return
        except JobLost:
            logger.info("job was cancelled or taken over during a step; stopping", extra=log)
            return
        except Exception as error:  # noqa: BLE001 - a bug must still leave the job in a known state
            # Type and frames, not the text or a traceback: an error raised over user data quotes it.
            logger.error("job attempt crashed", extra={**log, **error_summary(error)})
            self._record_failure(claim, JobFailure(JobErrorCode.INTERNAL_ERROR), log, message, deadline)
            return
        # The answer is paid for: a throttled write is tried again while the invocation lasts.
        if keep_writing(
            lambda: self._store.succeed(message.job_id, claim, result, usage, self._clock()), deadline
        ):
            job_metrics.job_succeeded(claim.item, now=self._clock(), usage=usage)
            logger.info(
                "job succeeded",
                extra={**log, "seconds": round(time.monotonic() - started, 3), **usage},
            )
        else:
            logger.info("job was cancelled while it ran; result dropped", extra=log)

    def _claim(self, message: Delivery, deadline: Deadline) -> Claim | None:
        """The job for this attempt, or None when it needs no work (gone, finished, or held by a
        live attempt and this is the queue's last delivery). RetryLater while another attempt holds it.

        Claimed first with what the message says the job is (one read less per job), on condition
        that the record says the same; otherwise, or without a hint, read, then claimed as the
        record says."""
        lease_seconds = deadline.remaining() + self._settings.lease_grace_seconds
        if message.hint is not None:
            job_type, provider = message.hint
            claim = self._store.claim(
                message.job_id,
                model=model_for(provider, self._settings, job_type),
                lease_seconds=lease_seconds,
                now=self._clock(),
                expect=(job_type, provider.value),
            )
            if claim is not None:
                self._log_keys(claim.item)
                return claim
        current = self._store.get(message.job_id)
        if current is None or JobStatus(current["status"]).finished:
            logger.info(
                "job needs no work",
                extra={"job_id": message.job_id, "status": (current or {}).get("status")},
            )
            return None
        self._log_keys(current)
        if message.hint != (current["job_type"], current["provider"]):
            claim = self._store.claim(
                message.job_id,
                model=model_for(Provider(current["provider"]), self._settings, current.get("job_type")),
                lease_seconds=lease_seconds,
                now=self._clock(),
            )
            if claim is not None:
                return claim
            current = self._store.get(message.job_id)
            if current is None or JobStatus(current["status"]).finished:
                return None
        # Another attempt holds a live lease: never a second LLM call for the same job.
        log = {"job_id": message.job_id, "job_type": current.get("job_type")}
        if message.receive_count >= self._settings.last_receive:
            # The queue would move this message to the DLQ next time; the holder (or, if it
            # dies, the stale-job sweeper) ends the job, so there is nothing left for it to do.
            logger.info("job is held by another attempt; last delivery dropped", extra=log)
            return None
        delay = give_back_delay(float(current.get("lease_expires_at") or 0), self._clock())
        logger.info("job is held by another attempt", extra={**log, "retry_in_seconds": delay})
        raise RetryLater("job is held by another attempt", delay_seconds=delay)

    @staticmethod
    def _log_keys(item: dict[str, Any]) -> None:
        add_job_log_keys(
            job_type=item.get("job_type"), provider=item.get("provider"), credential=item.get("credential")
        )

    def _attempt(
        self, claim: Claim, message: Delivery, deadline: Deadline
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        item = claim.item
        job_type = BY_NAME.get(item["job_type"])
        if job_type is None:
            raise JobFailure(JobErrorCode.INTERNAL_ERROR, log_hint="unknown job type")
        provider = Provider(item["provider"])
        api_key = self._api_key(item, provider, message)
        with secret_in_use(api_key.reveal()):
            return self._call(job_type, claim, provider, api_key, deadline)

    def _api_key(self, item: dict[str, Any], provider: Provider, message: Delivery) -> ApiKey:
        if CredentialSource(item["credential"]) is CredentialSource.SYSTEM:
            try:
                return self._system_keys.get()
            except SystemKeyUnavailable as error:
                raise JobFailure(
                    JobErrorCode.SERVICE_UNAVAILABLE, log_hint=f"secretsmanager {error}"
                ) from None
            except SystemKeyMissing as error:
                raise JobFailure(JobErrorCode.CONFIGURATION_ERROR, log_hint=str(error)) from None
        # A BYOK job runs with the user's key or not at all: never with the system key.
        if message.sealed_key is None:
            raise JobFailure(JobErrorCode.KEY_UNSEALING_FAILED, log_hint="no sealed key")
        try:
            return self._sealer.unseal(message.sealed_key, job_id=item["job_id"], provider=provider)
        except KeyServiceUnavailable as error:
            raise JobFailure(JobErrorCode.SERVICE_UNAVAILABLE, log_hint=f"kms {error}") from None
        except KeyUnsealingError as error:
            raise JobFailure(JobErrorCode.KEY_UNSEALING_FAILED, log_hint=str(error)) from None

    def _call(
        self,
        job_type: JobType[Any, Any],
        claim: Claim,
        provider: Provider,
        api_key: ApiKey,
        deadline: Deadline,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        item = claim.item
        try:
            request = job_type.request_model.model_validate(item["payload"])
        except ValidationError:
            raise JobFailure(JobErrorCode.INTERNAL_ERROR, log_hint="stored payload invalid") from None
        client = job_metrics.TimedProvider(self._client_factory(provider, api_key, self._settings), item)
        plan = self._settings.call_plan(provider, job_type.name)

        def call(step: Step[Any], prompt: Prompt) -> tuple[Any, str, dict[str, int]]:
            # Each step gets what is left of the invocation, less the margin for the final write.
            timeout = deadline.remaining() - self._settings.deadline_margin_seconds
            if timeout < _MIN_CALL_SECONDS:
                raise JobFailure(JobErrorCode.TIMEOUT, log_hint=f"{step.name}: no time left for the call")
            reply = client.generate(
                LlmRequest(
                    system_prompt=prompt.system,
                    user_prompt=prompt.user,
                    schema_name=f"{job_type.name}_{step.name}",
                    schema=provider_schema(step.output_model),
                    timeout_seconds=timeout,
                    model=plan.model,
                    max_output_tokens=plan.max_output_tokens,
                    effort=plan.native_effort,
                )
            )
            return reply.data, reply.model, reply.usage

        def save(steps: dict[str, Any]) -> bool:
            # A paid step's answer: a throttled write is tried again, as the final one is.
            return keep_writing(
                lambda: self._store.checkpoint(item["job_id"], claim, steps, self._clock()), deadline
            )

        result, usage = run_steps(
            job_type,
            request,
            item.get("steps") or {},
            call=call,
            save=save,
            log={"job_id": item["job_id"], "job_type": job_type.name},
        )
        return result, usage.as_record()

    def _record_failure(
        self, claim: Claim, failure: JobFailure, log: dict[str, Any], message: Delivery, deadline: Deadline
    ) -> None:
        job_id = claim.item["job_id"]
        attempts = int(claim.item.get("attempts", 1))
        details = {
            **log,
            "code": failure.code.value,
            "hint": failure.log_hint,
            "provider_host": failure.provider_host,
            "attempt": attempts,
            "receive_count": message.receive_count,
            # Which model, in which environment: what an operator needs to act on model_not_found.
            "model": claim.item.get("model"),
            "environment": self._settings.environment_name,
        }
        if failure.code is JobErrorCode.MODEL_NOT_FOUND:
            # Retired or unknown: no retry can help, every job on this model fails until the
            # configuration changes. Counted apart so it can alarm on its own.
            metrics.add_metric(name="ModelNotFound", unit="Count", value=1)
        # The last delivery ends the job whatever the attempts say: after it the message is in the
        # DLQ and nothing would ever run or fail the job.
        last_delivery = message.receive_count >= self._settings.last_receive
        if failure.retryable and attempts < self._settings.max_attempts and not last_delivery:
            now = self._clock()
            delay = retry_delay(
                attempts,
                base_seconds=self._settings.retry_base_seconds,
                cap_seconds=self._settings.retry_max_seconds,
                hint_seconds=failure.retry_after,
            )
            notice = retry_notice(
                failure.code.value,
                attempt=attempts,
                max_attempts=self._settings.max_attempts,
                delay_seconds=delay,
                now=now,
            )
            keep_writing(
                lambda: self._store.release(job_id, claim, failure.as_error(), now, notice), deadline
            )
            job_metrics.job_retried(claim.item, code=failure.code.value)
            logger.warning("job attempt failed; will retry", extra={**details, "retry_in_seconds": delay})
            raise RetryLater(failure.code.value, delay_seconds=delay)
        if keep_writing(lambda: self._store.fail(job_id, claim, failure.as_error(), self._clock()), deadline):
            job_metrics.job_failed(claim.item, code=failure.code.value, now=self._clock())
            logger.warning("job failed", extra=details)
        else:
            logger.info("job was cancelled before it failed", extra=details)
