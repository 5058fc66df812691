"""Saved CloudWatch Logs Insights queries, under `<stack name>/` in the console's query list.

They read the functions' Powertools JSON lines (every line of a job carries job_id, job_type,
provider, credential and, in the worker, attempt), the EMF lines of the job metrics (fields named
like the metrics: TimeToTerminal, ProviderLatency, InputTokens, ...) and API Gateway's access log.
A query has no time range of its own: the console's range picker sets it (a day for "last day").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Stack
from aws_cdk import aws_logs as logs
from constructs import Construct

from cv_jobs import metric_names as names

JOB_ID_PLACEHOLDER = "PASTE-JOB-ID"
REQUEST_ID_PLACEHOLDER = "PASTE-REQUEST-ID"


@dataclass(frozen=True)
class SavedQuery:
    name: str  # after the stack's prefix
    stages: tuple[str, ...]  # commands, each on its own line, joined with " | "
    sources: tuple[str, ...]  # which log groups: "api", "worker", "access", "sweeper"

    @property
    def query(self) -> str:
        return "\n| ".join(self.stages)


_LATENCY = names.PROVIDER_LATENCY
_TTT = names.TIME_TO_TERMINAL

QUERIES = (
    SavedQuery(
        "job-trail",
        # Both functions' lines of one job, in order; EMF lines (no message) left out.
        (
            "fields @timestamp, service, level, message, attempt, code, hint, step, model, status",
            f'filter job_id = "{JOB_ID_PLACEHOLDER}" and ispresent(message)',
            "sort @timestamp asc",
            "limit 500",
        ),
        ("api", "worker", "sweeper"),
    ),
    SavedQuery(
        "failures-by-code",
        (
            # The sweeper's lines for the jobs it found stuck: code job_stalled.
            'filter message = "job failed" or message = "stale job failed"',
            "stats count(*) as failures by code, job_type, provider, credential",
            "sort failures desc",
        ),
        ("worker", "sweeper"),
    ),
    SavedQuery(
        "latency-by-provider-and-job-type",
        (
            f"filter ispresent({_LATENCY}) or ispresent({_TTT})",
            f"stats count({_LATENCY}) as calls, pct({_LATENCY}, 50) as call_p50_ms, "
            f"pct({_LATENCY}, 95) as call_p95_ms, pct({_LATENCY}, 99) as call_p99_ms, "
            f"pct({_TTT}, 50) as job_p50_s, pct({_TTT}, 95) as job_p95_s by provider, job_type",
            "sort call_p95_ms desc",
        ),
        ("worker",),
    ),
    SavedQuery(
        "byok-versus-system",
        (
            f"filter ispresent({names.JOBS_CREATED}) or ispresent({names.INPUT_TOKENS})",
            f"stats sum({names.JOBS_CREATED}) as jobs, sum({names.INPUT_TOKENS}) as input_tokens, "
            f"sum({names.OUTPUT_TOKENS}) as output_tokens by credential, provider",
            "sort jobs desc",
        ),
        ("api", "worker"),
    ),
    SavedQuery(
        "slowest-jobs",
        (
            f"filter ispresent({_TTT})",
            f"fields @timestamp, job_id, job_type, provider, credential, attempt, error_code, {_TTT}",
            f"sort {_TTT} desc",
            "limit 25",
        ),
        ("worker",),
    ),
    SavedQuery(
        "worker-errors",
        # Crashes, timeouts and anything logged at ERROR, with the job they happened in.
        (
            "fields @timestamp, job_id, attempt, message, @message",
            'filter level = "ERROR" or level = "CRITICAL" or @message like /Task timed out|Runtime\\./',
            "sort @timestamp desc",
            "limit 100",
        ),
        ("worker",),
    ),
    SavedQuery(
        "api-5xx",
        # The access log writes every value as a string.
        (
            "fields @timestamp, requestId, httpMethod, resourcePath, status, errorType, integrationStatus",
            "filter status like /^5/",
            "sort @timestamp desc",
            "limit 100",
        ),
        ("access",),
    ),
    SavedQuery(
        "request-trail",
        # The api's lines of one request: correlation_id is API Gateway's request id (the access
        # log's requestId).
        (
            "fields @timestamp, level, message, job_id, code, status",
            f'filter correlation_id = "{REQUEST_ID_PLACEHOLDER}"',
            "sort @timestamp asc",
        ),
        ("api",),
    ),
)


class SavedQueries(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        log_groups: dict[str, logs.ILogGroup],
        queries: Sequence[SavedQuery] = QUERIES,
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = Stack.of(self).stack_name
        # The L1 resource: the L2 QueryDefinition builds its text from parts (fields, filter, ...)
        # and cannot hold `stats ... by` over several lines as written here.
        self.definitions: dict[str, logs.CfnQueryDefinition] = {}
        for saved in queries:
            groups = [log_groups[source] for source in saved.sources if source in log_groups]
            self.definitions[saved.name] = logs.CfnQueryDefinition(
                self,
                saved.name,
                name=f"{prefix}/{saved.name}",
                query_string=saved.query,
                log_group_names=[group.log_group_name for group in groups],
            )
