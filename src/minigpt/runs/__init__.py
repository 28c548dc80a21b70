"""The run directory: every run writes a self-describing record, and no run overwrites another.

experiments/25-A/                    the latest run named 25-A (earlier ones: 25-A@<start time>)
  config.yaml                        the resolved config
  metrics.jsonl                      one JSON object per completed step (and its evaluation)
  grads/step_0.safetensors           the gradient of every parameter at each saved step
  weights.safetensors                the weights at the end (or at the crash)
  summary.json                       status, writer, heartbeat, error verbatim, figures
  curves.png                         loss and accuracy curves

Every file and grads/ exist from the moment the directory appears under its name: a record cut short
has them empty (weights.safetensors and curves.png of 0 bytes, metrics.jsonl without a line).

Claiming a name. A run owns its directory while it runs: it holds an exclusive lock (flock) on it,
which the kernel drops when the process ends, however it ends. A new run prepares its directory under
a hidden temporary name, then, under a lock on out_dir, publishes it with an atomic rename:
  - onto the plain name when no live run owns it; whatever was there is renamed name@<its start time>;
  - onto name@<its own start time> when a live run still owns the plain name, which stays with that run
    (a running record is never moved under its writer's feet).
So the plain name is the latest run started while no other run of that name was running.

What summary.json's status means:
  running      the writer is alive (it holds the lock, or, seen from another machine, its heartbeat is
               recent); a reader that finds "running" and no live writer reports `killed`:
               "killed or lost (last heartbeat at step N)"
  ok           every planned step completed
  crashed      an exception stopped it: error_type, error_message, python_traceback, failed_step/_in
  interrupted  Ctrl-C or SIGTERM stopped it: failed_step, failed_in

Counts, for every status but killed: steps_completed = the number of lines in metrics.jsonl = the last
line's step + 1; failed_step = steps_completed (the step in progress, which has no line). A killed run's
steps_completed is its last heartbeat's, at most the number of lines in metrics.jsonl.

JSON is strict (RFC 8259): a NaN or infinite float is written as null, and the object gets a
"nonfinite" field naming each such key with its value ("nan", "inf", "-inf").

Its files, one concept each: layout (names and statuses), strict_json, locks, claim (a name, atomically),
writer (RunDir), reader (summary, metrics, gradients, status), guard (can this run start here: a writable
out_dir, and enough memory; it imports the core's data, so it is imported by name, not from here).
"""

from minigpt.runs.claim import fresh_dir, prepare_dir, publish, writable_dir_problem
from minigpt.runs.layout import CONFIG, CURVES, GRADS, METRICS, RECORD_FILES, STATUSES, SUMMARY, WEIGHTS, RunError
from minigpt.runs.reader import (
                                 read_grads,
                                 read_metrics,
                                 read_summary,
                                 resolve_run,
                                 run_status,
                                 saved_grad_steps,
                                 status_line,
)
from minigpt.runs.strict_json import dumps, finite_json, strict_loads, write_json
from minigpt.runs.writer import RunDir, writer_identity

__all__ = ["CONFIG", "CURVES", "GRADS", "METRICS", "RECORD_FILES", "STATUSES", "SUMMARY", "WEIGHTS", "RunDir",
           "RunError", "dumps", "finite_json", "fresh_dir", "prepare_dir", "publish", "read_grads", "read_metrics",
           "read_summary", "resolve_run", "run_status", "saved_grad_steps", "status_line", "strict_loads",
           "writable_dir_problem", "write_json", "writer_identity"]
