"""The names of the service's CloudWatch metrics and their dimensions: one definition that the
functions publish (job_metrics.py) and the stack's alarms, dashboard and queries read
(infra/constructs/monitoring*.py). Plain Python, so the CDK app can import it.

Dimensions are few on purpose: every distinct combination of dimension values is a custom metric
that CloudWatch bills by the month. Each job metric is published under these dimension sets:

- `service`                            the totals the alarms watch
- `service`, `job_type`                per job type (one per registered type)
- `service`, `provider`, `credential`  per provider and who pays (user key or system key): 2 x 2
- `service`, `error_code`              JobsFailed and JobsRetried only (one per job error code)

Everything else about an event (job_id, model, attempt, step, outcome) is a property of the EMF
line: searchable with Logs Insights, never a dimension.
"""

from __future__ import annotations

NAMESPACE = "CvAiJobs"

# Powertools publishes every metric with the function's service name as dimension `service`.
API_SERVICE = "cv-ai-jobs-api"
WORKER_SERVICE = "cv-ai-jobs-worker"
# The stale-job sweeper publishes JobsFailed (error_code job_stalled) for each job it fails.
SWEEPER_SERVICE = "cv-ai-jobs-sweeper"

# Counts (unit Count).
JOBS_CREATED = "JobsCreated"
JOBS_SUCCEEDED = "JobsSucceeded"
JOBS_FAILED = "JobsFailed"
JOBS_RETRIED = "JobsRetried"
JOBS_NOT_QUEUED = "JobsNotQueued"
MODEL_NOT_FOUND = "ModelNotFound"
# From created to succeeded or failed, retries included (unit Seconds).
TIME_TO_TERMINAL = "TimeToTerminal"
# One provider call, answered or not (unit Milliseconds).
PROVIDER_LATENCY = "ProviderLatency"
# Tokens of one provider call as the provider bills them; output includes reasoning (unit Count).
INPUT_TOKENS = "InputTokens"
OUTPUT_TOKENS = "OutputTokens"

JOB_TYPE = "job_type"
PROVIDER = "provider"
CREDENTIAL = "credential"
ERROR_CODE = "error_code"
