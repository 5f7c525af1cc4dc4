"""Breach drills: a synthetic incident through the real chain, timed stage by stage, with readiness checks."""
