"""Valid request bodies of rephrase, recommend, inject-keyword, elaborate and improve-from-feedback,
small and hand-made, for the tests to vary one field at a time."""

from __future__ import annotations

from typing import Any

from tests.unit.samples import sample

JOB = sample("jd_platform_engineer.txt")
SECTION = "- Led migration of the settlement pipeline to SQS and Lambda; cut settlement time to 14 min."
CV = {
    "personal": {"name": "Maya"},
    "experience": [
        {"role": "Senior Backend Engineer", "description": "Payments.", "achievements": ["Led a migration."]},
        {"role": "Backend Engineer", "description": "", "achievements": []},
    ],
}
FEEDBACK = {"persona": "Senior Technical Lead", "score": 7, "strengths": [], "improvements": ["CDK"]}

VALID: dict[str, dict[str, Any]] = {
    "rephrase": {"section_content": SECTION, "section_type": "experience", "instruction_type": "formal"},
    "recommend": {"job_description": JOB, "cv_data": CV},
    "inject-keyword": {"section_content": SECTION, "section_type": "experience", "keyword": "EventBridge"},
    "elaborate": {
        "section_content": SECTION,
        "section_type": "experience",
        "keyword": "EventBridge",
        "user_context": "I moved notifications to EventBridge rules.",
    },
    "improve-from-feedback": {
        "cv_json": CV,
        "job_description": JOB,
        "persona_feedback": FEEDBACK,
        "user_responses": ["I wrote the CDK stacks."],
        "target_section": "experience",
        "section_context": "",
    },
}
