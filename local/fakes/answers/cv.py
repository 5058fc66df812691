"""FAKE answers for the steps that write a CV (extract; tailor's first step)."""
