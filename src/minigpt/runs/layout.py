"""What a run directory holds: its file names, the statuses a writer records, the error a reader raises."""

import re

SUMMARY, CONFIG, METRICS, WEIGHTS, CURVES, GRADS = (
    "summary.json", "config.yaml", "metrics.jsonl", "weights.safetensors", "curves.png", "grads")
RECORD_FILES = (SUMMARY, CONFIG, METRICS, WEIGHTS, CURVES)  # each exists (maybe empty) once a run is published
STATUSES = ("running", "ok", "crashed", "interrupted")  # what a writer records; a reader adds "killed"
STAMP = "%Y-%m-%dT%H-%M-%S"
GRAD_FILE = re.compile(r"step_(\d+)\.safetensors")


class RunError(ValueError):
    """A run directory that cannot be read: missing, not a run, or corrupted."""
