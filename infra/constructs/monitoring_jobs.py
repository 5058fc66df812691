"""The dashboard widgets and alarms on the service's own job metrics (cv_jobs/metric_names.py), as
cdk-monitoring-constructs metric groups for monitoring.py.

Per-value breakdowns (error codes, job types, providers and who pays) are SEARCH expressions over
the dimension sets the functions publish, so a new job type or error code appears without an edit.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from cdk_monitoring_constructs import CustomMetricGroup, CustomMetricWithAlarm, CustomThreshold

from cv_jobs import metric_names as names
from infra.config import AlarmThresholds

RUNBOOK = "docs/operations.md"
# Job failures that point at us or at a provider outage, not at the user's input or key.
SERVICE_FAILURE_CODES = ("provider_unavailable", "internal_error")
FIVE_MINUTES = Duration.minutes(5)
FIFTEEN_MINUTES = Duration.minutes(15)
# The failure-rate alarm stays quiet below this many finished jobs in its 15 minutes: one failed job
# out of two is not an outage.
MIN_FINISHED_JOBS = 5


def job_metric_groups(thresholds: AlarmThresholds) -> list[CustomMetricGroup]:
    return [
        _job_counts(),
        _job_failure_rate(thresholds.job_failure_percent),
        _stale_jobs(),
        _group("Failed jobs by error code", names.JOBS_FAILED, (names.ERROR_CODE,), "Sum"),
        _group("Retries by error code", names.JOBS_RETRIED, (names.ERROR_CODE,), "Sum"),
        _group(
            "BYOK (user) versus system key: jobs created",
            names.JOBS_CREATED,
            (names.PROVIDER, names.CREDENTIAL),
            "Sum",
            service=names.API_SERVICE,
        ),
        _group(
            "Time to a terminal state, p95 by job type (s)", names.TIME_TO_TERMINAL, (names.JOB_TYPE,), "p95"
        ),
        _group(
            "Provider latency p95 (ms)", names.PROVIDER_LATENCY, (names.PROVIDER, names.CREDENTIAL), "p95"
        ),
        _group(
            "Output tokens by provider and key",
            names.OUTPUT_TOKENS,
            (names.PROVIDER, names.CREDENTIAL),
            "Sum",
        ),
        _group(
            "Input tokens by provider and key", names.INPUT_TOKENS, (names.PROVIDER, names.CREDENTIAL), "Sum"
        ),
    ]


def _job_counts() -> CustomMetricGroup:
    return CustomMetricGroup(
        title="Jobs created, succeeded, failed and retried (per 5 minutes)",
        metrics=[
            _metric(names.JOBS_CREATED, names.API_SERVICE, label="created"),
            _metric(names.JOBS_SUCCEEDED, names.WORKER_SERVICE, label="succeeded"),
            _metric(names.JOBS_FAILED, names.WORKER_SERVICE, label="failed"),
            _metric(names.JOBS_RETRIED, names.WORKER_SERVICE, label="retried"),
            _metric(names.JOBS_NOT_QUEUED, names.API_SERVICE, label="not queued"),
        ],
    )


def _job_failure_rate(percent: float) -> CustomMetricGroup:
    """Failures the service or a provider caused, as a share of finished jobs."""
    using = {
        "succeeded": _metric(names.JOBS_SUCCEEDED, names.WORKER_SERVICE, period=FIFTEEN_MINUTES),
        "failed": _metric(names.JOBS_FAILED, names.WORKER_SERVICE, period=FIFTEEN_MINUTES),
    }
    ours = []
    for index, code in enumerate(SERVICE_FAILURE_CODES):
        using[f"code{index}"] = _metric(
            names.JOBS_FAILED, names.WORKER_SERVICE, period=FIFTEEN_MINUTES, extra={names.ERROR_CODE: code}
        )
        ours.append(f"FILL(code{index}, 0)")
    finished = "(FILL(succeeded, 0) + FILL(failed, 0))"
    rate = cloudwatch.MathExpression(
        expression=f"IF({finished} >= {MIN_FINISHED_JOBS}, 100 * ({' + '.join(ours)}) / {finished}, 0)",
        using_metrics=using,
        label=f"% of finished jobs failed with {' or '.join(SERVICE_FAILURE_CODES)}",
        period=FIFTEEN_MINUTES,
    )
    description = (
        f"Over {percent}% of the jobs finished in 15 minutes (at least {MIN_FINISHED_JOBS}) failed with "
        f"{' or '.join(SERVICE_FAILURE_CODES)}. Run the saved query 'failures-by-code'; see {RUNBOOK} "
        "'JobFailureRate'."
    )
    return CustomMetricGroup(
        title="Job failure rate (provider_unavailable, internal_error)",
        metrics=[
            CustomMetricWithAlarm(
                metric=rate,
                alarm_friendly_name="JobFailureRate",
                add_alarm={
                    "Critical": CustomThreshold(
                        threshold=percent,
                        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                        treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                        alarm_description_override=description,
                    )
                },
            )
        ],
    )


def _stale_jobs() -> CustomMetricGroup:
    """Jobs the stale-job sweeper found stuck and failed (job_stalled): their message was lost or
    every attempt died without a word."""
    stale = _metric(
        names.JOBS_FAILED, names.SWEEPER_SERVICE, period=FIFTEEN_MINUTES, label="stale jobs failed"
    )
    return CustomMetricGroup(
        title="Stale jobs failed by the sweeper (per 15 minutes)",
        metrics=[
            CustomMetricWithAlarm(
                metric=stale,
                alarm_friendly_name="StaleJobs",
                add_alarm={
                    "Warning": CustomThreshold(
                        threshold=0,
                        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                        treat_missing_data_override=cloudwatch.TreatMissingData.NOT_BREACHING,
                        alarm_description_override=(
                            "The sweeper failed jobs that were stuck (job_stalled). Its 'stale job failed' "
                            "lines name them; run 'job-trail' for one; see "
                            f"{RUNBOOK} 'StaleJobs'."
                        ),
                    )
                },
            )
        ],
    )


def _group(
    title: str,
    metric: str,
    dimensions: tuple[str, ...],
    statistic: str,
    *,
    service: str = names.WORKER_SERVICE,
) -> CustomMetricGroup:
    """One line per value of `dimensions` (a SEARCH over the dimension set the functions publish)."""
    schema = ",".join((names.NAMESPACE, "service", *dimensions))
    search = cloudwatch.MathExpression(
        expression=(
            f'SEARCH(\'{{{schema}}} service="{service}" MetricName="{metric}"\', '
            f"'{statistic}', {int(FIVE_MINUTES.to_seconds())})"
        ),
        using_metrics={},
        label=" ".join(f"${{PROP('Dim.{dimension}')}}" for dimension in dimensions),
        period=FIVE_MINUTES,
    )
    return CustomMetricGroup(title=title, metrics=[search])


def _metric(
    name: str,
    service: str,
    *,
    label: str | None = None,
    period: Duration = FIVE_MINUTES,
    extra: dict[str, str] | None = None,
) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=names.NAMESPACE,
        metric_name=name,
        dimensions_map={"service": service, **(extra or {})},
        statistic="Sum",
        period=period,
        label=label,
    )
