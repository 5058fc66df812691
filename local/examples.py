"""Realistic request bodies for every job type, built from the repository's samples/.

One place for what a valid request looks like (DESIGN §2 field names), reused by the smoke script,
the tests, the playground and the command-line client. `example_request("tailor")` is a body the
frontend could send; `cv_data_example()` is the frontend's CVData for the backend-engineer sample
(what `cv_json` and `cv_data` carry).

A `marker` (a unique string) goes on its own line at the end of the job description and of the
job's main text (CV or section), which every step's prompt carries, so a test can find the
provider calls of its own job.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT / "functions") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "functions"))

from cv_jobs.job_types.cv_data import (  # noqa: E402
    CvOut,
    EducationOut,
    ExperienceOut,
    LicenseOut,
    PersonalOut,
    ProjectOut,
    SkillsOut,
    cv_data_from,
)

SAMPLES = REPO_ROOT / "samples"
BACKEND_CV = "cv_backend_engineer.txt"
PLATFORM_JOB = "jd_platform_engineer.txt"
# Fields whose text every step's prompt carries: where a marker goes.
_MARKED_FIELDS = ("job_description", "cv_text", "user_cv_text", "section_content")

# The backend engineer's most recent role, as the frontend holds it (one section of the CV).
_FJORDPAY_BULLETS = (
    "Led migration of the settlement pipeline from cron jobs to an SQS + Lambda event-driven design; "
    "cut end-of-day settlement time from 3 h to 14 min.",
    "Designed idempotent payment-intent API (Python, FastAPI, DynamoDB) handling 1,200 requests/s at peak.",
    "Introduced structured logging and tracing (OpenTelemetry); mean time to resolve incidents dropped 40%.",
    "Ran the backend guild; wrote the team's API design guidelines.",
)
_SUMMARY = (
    "Backend engineer with 8 years of experience building payment and logistics platforms in Python "
    "and Go. Comfortable owning services end to end: design, on-call, cost. Mentor to four junior "
    "engineers."
)


def sample_text(name: str) -> str:
    """A sample CV or job description from samples/, by file name."""
    path = SAMPLES / name
    if not path.is_file():
        raise FileNotFoundError(f"no sample {name!r} in {SAMPLES}")
    return path.read_text(encoding="utf-8")


def sample_names(prefix: str) -> list[str]:
    """The samples whose file names start with `prefix` ("cv_" or "jd_"), sorted."""
    return sorted(path.name for path in SAMPLES.glob(f"{prefix}*.txt"))


def cv_data_example() -> dict[str, Any]:
    """The backend-engineer sample as the frontend's CVData (dates as written plus their values)."""
    cv = CvOut(
        personal=PersonalOut(
            name="Maya Okonkwo-Lindqvist",
            email="maya.ol@example.com",
            phone="+46 70 555 01 23",
            location="Stockholm, Sweden",
            website=None,
            linkedin="linkedin.com/in/maya-okonkwo-example",
            github="github.com/maya-ol-example",
        ),
        professional_summary=_SUMMARY,
        experience=[
            _role(
                "Fjordpay AB",
                "Senior Backend Engineer",
                "Mar 2021",
                "Present",
                "Stockholm",
                _FJORDPAY_BULLETS,
            ),
            _role(
                "Nordcart Logistics",
                "Backend Engineer",
                "Aug 2017",
                "Feb 2021",
                "Gothenburg",
                (
                    "Built route-optimisation microservice in Go serving 300 warehouses.",
                    "Reduced AWS bill by 28% by moving batch jobs to spot instances and right-sizing RDS.",
                    "On-call rotation lead for 18 months.",
                ),
            ),
            _role(
                "Kodverket Consulting",
                "Junior Developer",
                "Jun 2016",
                "Jul 2017",
                "Uppsala",
                ("Maintained Django applications for public-sector clients.",),
            ),
        ],
        education=[
            EducationOut(
                institution="KTH Royal Institute of Technology",
                degree="MSc",
                field="Computer Science",
                startDate="2014",
                endDate="2016",
                gpa=None,
            ),
            EducationOut(
                institution="University of Lagos",
                degree="BSc",
                field="Software Engineering",
                startDate="2010",
                endDate="2014",
                gpa="4.6/5",
            ),
        ],
        projects=[
            ProjectOut(
                name="queue-lens",
                description="Open-source CLI to inspect SQS dead-letter queues.",
                tech_stack=["Python", "boto3", "Rich"],
                link="github.com/maya-ol-example/queue-lens",
                startDate="2023",
                endDate=None,
            ),
            ProjectOut(
                name="tiny-ledger",
                description="Double-entry bookkeeping library in Go.",
                tech_stack=["Go"],
                link=None,
                startDate="2019",
                endDate=None,
            ),
        ],
        skills=SkillsOut(
            technical=[
                "Python",
                "Go",
                "SQL",
                "AWS (Lambda, SQS, DynamoDB, CDK)",
                "PostgreSQL",
                "Terraform",
                "Kubernetes",
                "OpenTelemetry",
            ],
            soft=["mentoring", "incident command", "technical writing"],
            languages=["English (fluent)", "Swedish (professional)", "Yoruba (native)"],
        ),
        licenses_certifications=[
            LicenseOut(
                name="AWS Certified Solutions Architect \u2013 Professional",
                issuer="Amazon Web Services",
                date="Nov 2022",
                expiry="Nov 2025",
            )
        ],
        target_job=None,
    )
    return cv_data_from(cv, with_target_job=False).model_dump(mode="json")


def _role(
    company: str, role: str, start: str, end: str, location: str, bullets: tuple[str, ...]
) -> ExperienceOut:
    return ExperienceOut(
        company=company,
        role=role,
        startDate=start,
        endDate=end,
        location=location,
        description=None,
        achievements=list(bullets),
    )


def persona_feedback_example() -> dict[str, Any]:
    """One persona's evaluation of the backend-engineer CV (an `evaluate` entry), as the frontend
    passes it to improve-from-feedback."""
    return {
        "persona": "Senior Technical Lead",
        "score": 7,
        "strengths": [
            "Event-driven AWS work (SQS, Lambda, DynamoDB) matches the role's core.",
            "Concrete, measured outcomes on the settlement pipeline.",
        ],
        "improvements": [
            "Say how the payment-intent API achieved idempotency and at-least-once safety.",
            "Show infrastructure-as-code ownership (CDK) with a concrete result.",
        ],
        "reasoning": (
            "Strong serverless background with measurable results; the CV under-sells reliability "
            "design, which this role is about."
        ),
    }


def _extract(cv: str, job: str | None) -> dict[str, Any]:
    return {"cv_text": sample_text(cv), "job_description": sample_text(job) if job else None}


def _tailor(cv: str, job: str | None) -> dict[str, Any]:
    return {"user_cv_text": sample_text(cv), "job_description": _required(job)}


def _evaluate(cv: str, job: str | None) -> dict[str, Any]:
    return {"job_description": _required(job), "cv_json": _cv_data(cv)}


def _rephrase(cv: str, job: str | None) -> dict[str, Any]:
    return {
        "section_content": _SUMMARY,
        "section_type": "summary",
        "job_description": _required(job),
        "instruction_type": "shorten",
        "custom_instruction": "",
    }


def _recommend(cv: str, job: str | None) -> dict[str, Any]:
    return {"job_description": _required(job), "cv_data": _cv_data(cv)}


def _inject_keyword(cv: str, job: str | None) -> dict[str, Any]:
    return {
        "section_content": "\n".join(_FJORDPAY_BULLETS),
        "section_type": "experience",
        "keyword": "idempotency",
        "job_description": _required(job),
    }


def _elaborate(cv: str, job: str | None) -> dict[str, Any]:
    return {
        "section_content": "\n".join(_FJORDPAY_BULLETS),
        "section_type": "experience",
        "keyword": "EventBridge",
        "user_context": (
            "At Fjordpay I moved settlement notifications from SNS topics to EventBridge rules, so three "
            "consumer teams could subscribe to payment events without changes on our side."
        ),
        "job_description": _required(job),
    }


def _improve_from_feedback(cv: str, job: str | None) -> dict[str, Any]:
    return {
        "cv_json": _cv_data(cv),
        "job_description": _required(job),
        "persona_feedback": persona_feedback_example(),
        "user_responses": [
            "The payment-intent API used client-supplied idempotency keys stored in DynamoDB with a "
            "conditional write, so retries never charged twice.",
            "I wrote the CDK stacks for the settlement pipeline and cut deploy time from 40 to 8 minutes.",
        ],
        "target_section": "experience",
        "section_context": "\n".join(_FJORDPAY_BULLETS),
        "user_chosen_types": {"0": "bullet"},  # experience index -> the form the user wants
        "target_experience_indices": [0],
    }


_BUILDERS: dict[str, Callable[[str, str | None], dict[str, Any]]] = {
    "extract": _extract,
    "tailor": _tailor,
    "evaluate": _evaluate,
    "rephrase": _rephrase,
    "recommend": _recommend,
    "inject-keyword": _inject_keyword,
    "elaborate": _elaborate,
    "improve-from-feedback": _improve_from_feedback,
}
EXAMPLE_PATHS: tuple[str, ...] = tuple(_BUILDERS)


def example_request(
    job_path: str,
    *,
    cv: str = BACKEND_CV,
    job_description: str | None = PLATFORM_JOB,
    marker: str | None = None,
) -> dict[str, Any]:
    """A valid, realistic body for `POST /ai/jobs/{job_path}`.

    `cv` and `job_description` name samples; `cv` is the text of the jobs that take CV text (the
    jobs that take CVData always get the backend engineer's). `job_description=None` leaves it
    out where it is optional (extract) and is an error where it is required.
    """
    builder = _BUILDERS.get(job_path)
    if builder is None:
        raise KeyError(f"no example for job path {job_path!r}; known: {', '.join(EXAMPLE_PATHS)}")
    body = {name: value for name, value in builder(cv, job_description).items() if value is not None}
    return mark(body, marker) if marker else body


def mark(body: dict[str, Any], marker: str) -> dict[str, Any]:
    """`body` with `marker` on its own line at the end of its job description and main text."""
    marked = dict(body)
    for name in _MARKED_FIELDS:
        if isinstance(marked.get(name), str):
            marked[name] = f"{marked[name].rstrip()}\nReference: {marker}\n"
    return marked


def _required(job: str | None) -> str:
    if job is None:
        raise ValueError("this job type requires a job description")
    return sample_text(job)


def _cv_data(cv: str) -> dict[str, Any]:
    del cv  # only the backend engineer exists as CVData; the text samples vary the other jobs
    return cv_data_example()
