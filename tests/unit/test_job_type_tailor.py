"""The `tailor` job type: two steps (tailor, then the committee on the tailored CV), a result that is
CVData with its target_job plus `analysis.committee_evaluation`, and the request's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cv_jobs.api.validation import validate_body
from cv_jobs.errors import RequestValidationFailed
from cv_jobs.job_types import BY_PATH
from cv_jobs.job_types.committee import CommitteeOut
from cv_jobs.job_types.cv_data import CVData, CvOut, cv_data_from
from cv_jobs.job_types.prompting import data_blocks
from cv_jobs.job_types.schema import provider_schema
from cv_jobs.job_types.tailor import TAILOR, TailoredCommitteeOut, TailoredCvOut, TailorRequest
from tests.unit.samples import sample

CVDATA_KEYS = {
    "personal",
    "professional_summary",
    "experience",
    "education",
    "projects",
    "skills",
    "licenses_certifications",
}
NOTE = "Put Python first because the job asks for it"


def tailored(**changes: Any) -> TailoredCvOut:
    answer: dict[str, Any] = {
        "personal": dict.fromkeys(("email", "phone", "location", "website", "linkedin", "github"))
        | {"name": "Maya Okonkwo"},
        "professional_summary": "Backend engineer aimed at serverless platforms.",
        "experience": [
            {
                "company": "Fjordpay AB",
                "role": "Senior Backend Engineer",
                "startDate": "Mar 2021",
                "endDate": "Present",
                "location": "Stockholm",
                "description": None,
                "achievements": ["Led the move to an SQS + Lambda serverless pipeline."],
            }
        ],
        "education": [],
        "projects": [],
        "skills": {"technical": ["Python", "Go"], "soft": [], "languages": []},
        "licenses_certifications": [],
        "target_job": {"title": "Staff Platform Engineer", "company": "Lumen Health"},
        "tailoring_notes": [NOTE],
    }
    answer.update(changes)
    return TailoredCvOut.model_validate(answer)


def committee(*scores: int) -> TailoredCommitteeOut:
    keys = ("strict_hiring_manager", "creative_recruiter", "senior_technical_lead")
    return TailoredCommitteeOut.model_validate(
        {
            key: {"score": score, "strengths": ["Python"], "improvements": ["CDK"], "reasoning": "Fits."}
            for key, score in zip(keys, scores, strict=True)
        }
    )


def request() -> TailorRequest:
    return TailorRequest(
        user_cv_text=sample("cv_backend_engineer.txt"), job_description=sample("jd_platform_engineer.txt")
    )


def test_tailor_result_is_cvdata_with_target_job_plus_the_committee_evaluation() -> None:
    # Given both steps' outputs
    outputs = {"tailor": tailored(), "evaluate": committee(7, 8, 8)}
    # When the result is assembled
    result = TAILOR.result(request(), outputs)
    # Then it has exactly CVData's keys, its target_job and the analysis
    assert set(result) == CVDATA_KEYS | {"target_job", "analysis"}
    assert result["target_job"] == {"title": "Staff Platform Engineer", "company": "Lumen Health"}
    assert set(result["analysis"]) == {"committee_evaluation"}
    evaluation = result["analysis"]["committee_evaluation"]
    assert set(evaluation) == {"individual_evaluations", "average_score"}
    assert evaluation["average_score"] == 7.7
    # And the CV part is CVData as extract gives it, dates computed in code
    cv_part = {key: value for key, value in result.items() if key != "analysis"}
    CVData.model_validate(cv_part)
    [job] = result["experience"]
    assert job["startDateValue"] == {"year": 2021, "month": 3, "day": None, "isPresent": False}
    assert job["endDateValue"]["isPresent"] is True


def test_tailoring_notes_never_reach_the_result() -> None:
    # Given a tailored CV with notes; when the result is assembled; then the notes are nowhere in it
    result = TAILOR.result(request(), {"tailor": tailored(), "evaluate": committee(5, 5, 5)})
    assert "tailoring_notes" not in json.dumps(result)
    assert NOTE not in json.dumps(result)


def test_tailor_result_keeps_a_target_job_when_the_model_wrote_none() -> None:
    # Given a tailored CV whose target_job the model left null
    outputs = {"tailor": tailored(target_job=None), "evaluate": committee(5, 6, 7)}
    # When the result is assembled, then target_job is still there (CVData's serializer keeps it)
    result = TAILOR.result(request(), outputs)
    assert result["target_job"] == {"title": "", "company": ""}
    assert "analysis" in result


def test_the_evaluate_step_reads_the_tailored_cv_as_cvdata_with_its_target_job() -> None:
    # Given the tailor step's output
    output = tailored()
    # When the second step's prompt is built from it
    prompt = TAILOR.steps[1].prompt(request(), {"tailor": output})
    # Then the committee sees the tailored CV as CVData (target_job included, notes left out)
    blocks = data_blocks(prompt.user)
    assert json.loads(blocks["cv"]) == cv_data_from(output, with_target_job=True).model_dump(mode="json")
    assert "tailoring_notes" not in blocks["cv"]
    assert blocks["job_description"] == sample("jd_platform_engineer.txt").strip()


def test_the_tailor_prompt_delimits_the_cv_and_the_job_and_forbids_invention() -> None:
    # Given a tailor request; when the first step's prompt is built
    prompt = TAILOR.steps[0].prompt(request(), {})
    # Then the CV text and the job description are data blocks and the rules are stated
    blocks = data_blocks(prompt.user)
    assert blocks["cv"] == sample("cv_backend_engineer.txt").strip()
    assert blocks["job_description"] == sample("jd_platform_engineer.txt").strip()
    assert "never add a tool, skill, number" in prompt.system
    assert "Keep the CV's language" in prompt.system


def test_each_tailor_step_has_its_own_schema_distinct_from_extract_and_evaluate() -> None:
    # Given the tailor steps' output models; then their schemas differ from the models they extend
    tailor_schema = provider_schema(TailoredCvOut)
    assert provider_schema(CvOut) != tailor_schema
    assert list(tailor_schema["properties"]) == [*provider_schema(CvOut)["properties"], "tailoring_notes"]
    assert provider_schema(CommitteeOut) != provider_schema(TailoredCommitteeOut)
    assert provider_schema(CommitteeOut)["properties"] == provider_schema(TailoredCommitteeOut)["properties"]
    assert [step.name for step in TAILOR.steps] == ["tailor", "evaluate"]


# --- the request ------------------------------------------------------------------------------


def refusal(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(RequestValidationFailed) as refused:
        validate_body(BY_PATH["tailor"], json.dumps(body))
    return {item["field"]: item["message"] for item in refused.value.fields or []}


def test_tailor_requires_a_cv_and_a_job_description() -> None:
    # Given an empty body, and a CV with a blank job description; then each missing field is named
    assert refusal({}) == {"user_cv_text": "Required.", "job_description": "Required."}
    assert refusal({"user_cv_text": sample("cv_backend_engineer.txt"), "job_description": ""}) == {
        "job_description": "Must not be empty."
    }


def test_tailor_refuses_a_cv_of_a_few_words_or_over_the_limit() -> None:
    # Given a CV of a few words and one over 100,000 characters; then each gets our sentence
    job = sample("jd_platform_engineer.txt")
    assert refusal({"user_cv_text": "Maya, engineer, Python", "job_description": job}) == {
        "user_cv_text": "A CV needs at least 30 words."
    }
    assert refusal({"user_cv_text": "word " * 20_001, "job_description": job}) == {
        "user_cv_text": "Must be at most 100000 characters."
    }


def test_tailor_accepts_the_samples() -> None:
    # Given a sample CV and job description; when validated; then the request is built
    body = {
        "user_cv_text": sample("cv_nurse_career_change.txt"),
        "job_description": sample("jd_health_data_analyst.txt"),
    }
    assert isinstance(validate_body(TAILOR, json.dumps(body)), TailorRequest)
