"""2D pose detectors, multi-person tracking and target selection (no Qt)."""
