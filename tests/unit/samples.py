"""The realistic CVs and job descriptions kept in the repository's `samples/` folder."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")
