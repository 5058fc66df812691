"""The FAKE answers for extract, tailor and evaluate: read from what was sent (the CV's own names,
employers and dates), schema-valid for their step, marked as fake, and different for different inputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from cv_jobs.job_types.base import JobType, RequestModel, output_of
from cv_jobs.job_types.evaluate import EVALUATE, EvaluateRequest
from cv_jobs.job_types.extract import EXTRACT, ExtractRequest
from cv_jobs.job_types.schema import provider_schema
from cv_jobs.job_types.tailor import TAILOR, TailoredCvOut, TailorRequest
from local.fakes.answers import FAKE_MARK, fake_answer
from local.fakes.answers.cv_reader import read_cv, target_job
from tests.unit.samples import sample

BACKEND, NEW_GRAD, NURSE = "cv_backend_engineer.txt", "cv_messy_new_grad.txt", "cv_nurse_career_change.txt"
PLATFORM, FRONTEND, HEALTH = (
    "jd_platform_engineer.txt",
    "jd_frontend_intern.txt",
    "jd_health_data_analyst.txt",
)


def through_the_fakes(job_type: JobType[Any, Any], request: RequestModel) -> tuple[dict[str, BaseModel], Any]:
    """Each step's prompt to the fake, its answer validated as the worker validates it; then the result."""
    outputs: dict[str, BaseModel] = {}
    for step in job_type.steps:
        prompt = step.prompt(request, outputs)
        answer = fake_answer(provider_schema(step.output_model), system=prompt.system, user=prompt.user)
        outputs[step.name] = step.output_model.model_validate(answer, context=request)
    return outputs, job_type.result(request, outputs)


def roles(cv: dict[str, Any]) -> list[tuple[str | None, ...]]:
    return [(e["role"], e["company"], e["startDate"], e["endDate"]) for e in cv["experience"]]


def test_the_reader_takes_the_backend_engineers_facts_from_her_cv() -> None:
    # Given the backend engineer's CV; when it is read
    cv = read_cv(sample(BACKEND))
    # Then the header, roles, education, projects, skills and certification are hers, dates as written
    assert cv["personal"] == {
        "name": "MAYA OKONKWO-LINDQVIST",
        "email": "maya.ol@example.com",
        "phone": "+46 70 555 01 23",
        "location": "Stockholm, Sweden",
        "website": None,
        "linkedin": "linkedin.com/in/maya-okonkwo-example",
        "github": "github.com/maya-ol-example",
    }
    assert roles(cv) == [
        ("Senior Backend Engineer", "Fjordpay AB", "Mar 2021", "Present"),
        ("Backend Engineer", "Nordcart Logistics", "Aug 2017", "Feb 2021"),
        ("Junior Developer", "Kodverket Consulting", "Jun 2016", "Jul 2017"),
    ]
    assert (
        cv["experience"][1]["achievements"][0]
        == "Built route-optimisation microservice in Go serving 300 warehouses."
    )
    assert [(e["degree"], e["institution"], e["endDate"], e["gpa"]) for e in cv["education"]] == [
        ("MSc", "KTH Royal Institute of Technology", "2016", None),
        ("BSc", "University of Lagos", "2014", "4.6/5"),
    ]
    assert [(p["name"], p["startDate"]) for p in cv["projects"]] == [
        ("queue-lens", "2023"),
        ("tiny-ledger", "2019"),
    ]
    assert {"Python", "boto3"} <= set(cv["projects"][0]["tech_stack"])
    assert cv["skills"]["soft"] == ["mentoring", "incident command", "technical writing"]
    assert cv["skills"]["languages"][2] == "Yoruba (native)"
    [certificate] = cv["licenses_certifications"]
    assert (certificate["issuer"], certificate["date"], certificate["expiry"]) == (
        "Amazon Web Services",
        "Nov 2022",
        "Nov 2025",
    )
    assert cv["professional_summary"].startswith("Backend engineer with 8 years")


def test_the_reader_copes_with_the_messy_new_grads_cv() -> None:
    # Given a CV with no headings for education or work, dates in lower case and a one-line header
    cv = read_cv(sample(NEW_GRAD))
    # Then her name, email, internship, degree, projects and skills are still found
    assert (cv["personal"]["name"], cv["personal"]["email"]) == ("priya raman", "priya.r.dev@example.net")
    assert roles(cv) == [
        ("internship", "Dabba Express", "may 2024", "jul 2024"),
        ("teaching assistant for Data Structures course", None, "Jan 2024", "May 2024"),
    ]
    assert cv["experience"][0]["description"].startswith("did react native screens")
    [degree] = cv["education"]
    assert (
        degree["degree"],
        degree["institution"],
        degree["startDate"],
        degree["endDate"],
        degree["gpa"],
    ) == (
        "B.Tech",
        "PES University",
        "2021",
        "2025",
        "8.7",
    )
    assert (cv["projects"][0]["name"], cv["projects"][0]["tech_stack"]) == (
        "StudyBuddy",
        ["React", "Firebase"],
    )
    assert cv["skills"]["technical"][:3] == ["javascript", "typescript", "react"]
    assert cv["skills"]["languages"] == ["english", "tamil", "kannada", "hindi"]


def test_the_reader_puts_the_nurses_employer_and_role_the_right_way_round() -> None:
    # Given a CV that writes "Employer, City — Role, years"
    cv = read_cv(sample(NURSE))
    # Then the role and the employer are not swapped, and the dates are as written
    assert cv["personal"]["name"] == "Daniel Ferreira"
    assert cv["personal"]["phone"] == "(+351) 912 000 111"
    assert roles(cv) == [
        ("ICU Staff Nurse", "Hospital de São João", "2015", "present"),
        ("Ward Nurse", "Clínica Boa Saúde", "2013", "2015"),
    ]
    assert [e["institution"] for e in cv["education"]] == ["Ironhack Lisbon", "Universidade do Minho"]
    assert "Power BI" in cv["skills"]["technical"]
    assert cv["skills"]["languages"] == ["Portuguese (native)", "English (C1)", "Spanish (B2)"]


def test_target_job_is_the_first_line_of_the_job_description() -> None:
    # Given the three job descriptions; then each title is its first line up to the dash
    assert target_job(sample(PLATFORM)) == {"title": "Staff Platform Engineer", "company": "Lumen Health"}
    assert target_job(sample(FRONTEND)) == {"title": "Frontend Engineer (New Grad)", "company": None}
    assert target_job(sample(HEALTH))["title"] == "Healthcare Data Analyst (Junior/Mid)"


def test_two_cvs_through_the_extract_fake_give_two_different_results() -> None:
    # Given two different CVs sent to the fake as extract prompts
    _, backend = through_the_fakes(EXTRACT, ExtractRequest(cv_text=sample(BACKEND)))
    _, nurse = through_the_fakes(EXTRACT, ExtractRequest(cv_text=sample(NURSE)))
    # Then each result carries its own CV's name and employers
    assert backend["personal"]["name"] == "MAYA OKONKWO-LINDQVIST"
    assert nurse["personal"]["name"] == "Daniel Ferreira"
    assert [e["company"] for e in backend["experience"]] == [
        "Fjordpay AB",
        "Nordcart Logistics",
        "Kodverket Consulting",
    ]
    assert [e["company"] for e in nurse["experience"]] == ["Hospital de São João", "Clínica Boa Saúde"]
    # And the fake marks its free text, not the facts
    assert backend["professional_summary"].startswith(FAKE_MARK)
    assert FAKE_MARK not in json.dumps([backend["personal"], backend["experience"]])
    assert "target_job" not in backend


@pytest.mark.parametrize(("cv", "job"), [(BACKEND, PLATFORM), (NEW_GRAD, FRONTEND), (NURSE, HEALTH)])
def test_every_fake_answer_validates_against_its_steps_output_model(cv: str, job: str) -> None:
    # Given each sample CV with its job description, through every step of extract, tailor, evaluate
    _, extracted = through_the_fakes(EXTRACT, ExtractRequest(cv_text=sample(cv), job_description=sample(job)))
    tailor_outputs, tailored = through_the_fakes(
        TAILOR, TailorRequest(user_cv_text=sample(cv), job_description=sample(job))
    )
    _, evaluated = through_the_fakes(
        EVALUATE, EvaluateRequest(cv_json=extracted, job_description=sample(job))
    )
    # Then every answer validated (through_the_fakes validates) and came from the CV, not a generic sample
    assert extracted["target_job"]["title"] == target_job(sample(job))["title"]
    assert tailored["personal"]["name"] == read_cv(sample(cv))["personal"]["name"]
    assert all(
        note.startswith(FAKE_MARK)
        for note in output_of(tailor_outputs, "tailor", TailoredCvOut).tailoring_notes
    )
    for evaluation in (evaluated, tailored["analysis"]["committee_evaluation"]):
        assert all(e["reasoning"].startswith(FAKE_MARK) for e in evaluation["individual_evaluations"])


def test_the_tailor_fake_puts_the_skills_the_job_mentions_first() -> None:
    # Given the new grad's CV tailored to the frontend job
    outputs, result = through_the_fakes(
        TAILOR, TailorRequest(user_cv_text=sample(NEW_GRAD), job_description=sample(FRONTEND))
    )
    # Then the skills the job names come first, in the CV's order, and the note says which
    assert result["skills"]["technical"][:5] == [
        "javascript",
        "typescript",
        "react",
        "react-native",
        "firebase",
    ]
    assert sorted(result["skills"]["technical"]) == sorted(read_cv(sample(NEW_GRAD))["skills"]["technical"])
    [note] = output_of(outputs, "tailor", TailoredCvOut).tailoring_notes
    assert "react-native" in note
    assert "nextjs" not in note
    assert result["target_job"]["title"] == "Frontend Engineer (New Grad)"


def evaluate(cv: str, job: str) -> dict[str, Any]:
    _, extracted = through_the_fakes(EXTRACT, ExtractRequest(cv_text=sample(cv)))
    return through_the_fakes(EVALUATE, EvaluateRequest(cv_json=extracted, job_description=sample(job)))[1]


def test_the_evaluate_fake_scores_follow_the_overlap_of_cv_and_job() -> None:
    # Given each CV evaluated against its own job and against another
    scores = {
        (cv, job): evaluate(cv, job)["average_score"] for cv in (BACKEND, NURSE) for job in (PLATFORM, HEALTH)
    }
    # Then different inputs give different scores, and the matching job scores higher
    assert scores[(BACKEND, PLATFORM)] > scores[(BACKEND, HEALTH)]
    assert scores[(NURSE, HEALTH)] > scores[(NURSE, PLATFORM)]
    # And the same input gives the same answer
    assert evaluate(NURSE, HEALTH) == evaluate(NURSE, HEALTH)


def test_the_evaluate_fake_names_words_found_and_missing() -> None:
    # Given the nurse's CV against the health data analyst job
    result = evaluate(NURSE, HEALTH)
    cv_text, job_text = sample(NURSE).casefold(), sample(HEALTH).casefold()
    # Then each strength quotes a word both share, and each improvement one the CV lacks
    strengths = [s for e in result["individual_evaluations"] for s in e["strengths"]]
    improvements = [s for e in result["individual_evaluations"] for s in e["improvements"]]
    assert strengths
    assert improvements
    for line in strengths:
        word = line.split('"')[1]
        assert word in cv_text
        assert word in job_text
    for line in improvements:
        word = line.split('"')[1]
        assert word in job_text
        assert word not in cv_text
