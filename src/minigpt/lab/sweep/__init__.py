"""Several seeds of each variant, aggregated: mean ± std per variant, the gradients against the control's."""

from minigpt.lab.sweep.sweep import (
                                     CURVES,
                                     DEFAULT_SWEEP,
                                     NO_EXPERIMENT,
                                     REPORT,
                                     SUMMARY,
                                     SWEEP_DIR,
                                     TABLE_COLUMNS,
                                     add_grad_errors,
                                     collect_jobs,
                                     create_sweep_dir,
                                     format_stat,
                                     job_name,
                                     summarize,
                                     sweep_overrides,
                                     table_rows,
                                     write_report,
)

__all__ = ["CURVES", "DEFAULT_SWEEP", "NO_EXPERIMENT", "REPORT", "SUMMARY", "SWEEP_DIR", "TABLE_COLUMNS",
           "add_grad_errors", "collect_jobs", "create_sweep_dir", "format_stat", "job_name", "summarize",
           "sweep_overrides", "table_rows", "write_report"]
