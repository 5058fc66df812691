"""CVData: the frontend's CV shape (the result of `extract` and `tailor`), what a model fills in to
produce it, and the deterministic step between the two.

The model writes dates as the CV writes them (`startDate: "Mar 2021"`); every `*Value`
(`{year, month, day, isPresent}` or null) is computed here from that text, never taken from the
model. Fields the model leaves null become "" where the frontend expects a string.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_serializer

from cv_jobs.job_types.base import OutputModel, ResultModel
from cv_jobs.job_types.dates import DateValue, parse_cv_date

_AS_WRITTEN = "As written in the CV, e.g. 'Mar 2021', '2019' or 'Present'; null when not stated."

# --- what the model fills in ------------------------------------------------------------------


class PersonalOut(OutputModel):
    name: str | None
    email: str | None
    phone: str | None
    location: str | None
    website: str | None
    linkedin: str | None
    github: str | None


class ExperienceOut(OutputModel):
    company: str | None
    role: str | None
    startDate: str | None = Field(description=_AS_WRITTEN)
    endDate: str | None = Field(description=_AS_WRITTEN)
    location: str | None
    description: str | None = Field(description="One or two sentences on the role, if the CV has them")
    achievements: list[str] = Field(description="The role's bullet points, one per item")


class EducationOut(OutputModel):
    institution: str | None
    degree: str | None
    field: str | None = Field(description="Field of study")
    startDate: str | None = Field(description=_AS_WRITTEN)
    endDate: str | None = Field(description=_AS_WRITTEN)
    gpa: str | None = Field(description="As written, e.g. '4.6/5' or 'CGPA 8.7'")


class ProjectOut(OutputModel):
    name: str | None
    description: str | None
    tech_stack: list[str]
    link: str | None
    startDate: str | None = Field(description=_AS_WRITTEN)
    endDate: str | None = Field(description=_AS_WRITTEN)


class SkillsOut(OutputModel):
    technical: list[str]
    soft: list[str]
    languages: list[str] = Field(description="Spoken languages, with the level if stated")


class LicenseOut(OutputModel):
    name: str | None
    issuer: str | None
    date: str | None = Field(description=_AS_WRITTEN)
    expiry: str | None = Field(description=_AS_WRITTEN)


class TargetJobOut(OutputModel):
    title: str | None
    company: str | None


class CvOut(OutputModel):
    """A CV as the model writes it: the frontend's field names, dates as text."""

    personal: PersonalOut
    professional_summary: str | None
    experience: list[ExperienceOut]
    education: list[EducationOut]
    projects: list[ProjectOut]
    skills: SkillsOut
    licenses_certifications: list[LicenseOut]
    target_job: TargetJobOut | None = Field(
        description="The job description's title and company; null when no job description was given"
    )


# --- the frontend's CVData --------------------------------------------------------------------


class Personal(ResultModel):
    name: str
    email: str
    phone: str
    location: str
    website: str
    linkedin: str
    github: str


class Experience(ResultModel):
    company: str
    role: str
    startDate: str
    endDate: str
    location: str
    description: str
    achievements: list[str]
    startDateValue: DateValue | None
    endDateValue: DateValue | None


class Education(ResultModel):
    institution: str
    degree: str
    field: str
    startDate: str
    endDate: str
    gpa: str
    startDateValue: DateValue | None
    endDateValue: DateValue | None


class Project(ResultModel):
    name: str
    description: str
    tech_stack: list[str]
    link: str
    startDate: str
    endDate: str
    startDateValue: DateValue | None
    endDateValue: DateValue | None


class Skills(ResultModel):
    technical: list[str]
    soft: list[str]
    languages: list[str]


class License(ResultModel):
    name: str
    issuer: str
    date: str
    expiry: str
    dateValue: DateValue | None
    expiryValue: DateValue | None


class TargetJob(ResultModel):
    title: str
    company: str


class CVData(ResultModel):
    personal: Personal
    professional_summary: str
    experience: list[Experience]
    education: list[Education]
    projects: list[Project]
    skills: Skills
    licenses_certifications: list[License]
    # Only when a job description was given; absent from the JSON otherwise.
    target_job: TargetJob | None = None

    @model_serializer(mode="wrap")
    def _omit_absent_target_job(self, handler: Any) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("target_job") is None:
            data.pop("target_job", None)
        return data


def cv_data_from(cv: CvOut, *, with_target_job: bool) -> CVData:
    """The deterministic step from what the model wrote to CVData."""
    personal = cv.personal
    return CVData(
        personal=Personal(
            name=_text(personal.name),
            email=_text(personal.email),
            phone=_text(personal.phone),
            location=_text(personal.location),
            website=_text(personal.website),
            linkedin=_text(personal.linkedin),
            github=_text(personal.github),
        ),
        professional_summary=_text(cv.professional_summary),
        experience=[
            Experience(
                company=_text(item.company),
                role=_text(item.role),
                startDate=_text(item.startDate),
                endDate=_text(item.endDate),
                location=_text(item.location),
                description=_text(item.description),
                achievements=_lines(item.achievements),
                startDateValue=parse_cv_date(item.startDate),
                endDateValue=parse_cv_date(item.endDate),
            )
            for item in cv.experience
        ],
        education=[
            Education(
                institution=_text(item.institution),
                degree=_text(item.degree),
                field=_text(item.field),
                startDate=_text(item.startDate),
                endDate=_text(item.endDate),
                gpa=_text(item.gpa),
                startDateValue=parse_cv_date(item.startDate),
                endDateValue=parse_cv_date(item.endDate),
            )
            for item in cv.education
        ],
        projects=[
            Project(
                name=_text(item.name),
                description=_text(item.description),
                tech_stack=unique(item.tech_stack),
                link=_text(item.link),
                startDate=_text(item.startDate),
                endDate=_text(item.endDate),
                startDateValue=parse_cv_date(item.startDate),
                endDateValue=parse_cv_date(item.endDate),
            )
            for item in cv.projects
        ],
        skills=Skills(
            technical=unique(cv.skills.technical),
            soft=unique(cv.skills.soft),
            languages=unique(cv.skills.languages),
        ),
        licenses_certifications=[
            License(
                name=_text(item.name),
                issuer=_text(item.issuer),
                date=_text(item.date),
                expiry=_text(item.expiry),
                dateValue=parse_cv_date(item.date),
                expiryValue=parse_cv_date(item.expiry),
            )
            for item in cv.licenses_certifications
        ],
        target_job=_target_job(cv.target_job) if with_target_job else None,
    )


def _target_job(given: TargetJobOut | None) -> TargetJob:
    if given is None:
        return TargetJob(title="", company="")
    return TargetJob(title=_text(given.title), company=_text(given.company))


def _text(value: str | None) -> str:
    return " ".join(value.split()) if value else ""


def _lines(items: list[str]) -> list[str]:
    """Bullet points trimmed, blanks dropped, order kept."""
    return [line for line in (" ".join(item.split()) for item in items) if line]


def unique(items: list[str]) -> list[str]:
    """Each entry once (case-insensitive), first spelling wins, blanks dropped."""
    seen: set[str] = set()
    kept = []
    for item in (" ".join(i.split()) for i in items):
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            kept.append(item)
    return kept
