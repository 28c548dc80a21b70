"""Compare two runs' saved gradients, parameter by parameter, against the rounding bound; their curves as PNGs.

compare.py reads and judges, rounding.py says how large a float32 difference rounding explains, parameters.py
orders a model's parameters by block, plots.py draws (imported on its own: matplotlib loads in about a second).
"""

from minigpt.lab.compare.compare import (
                                         AGREE,
                                         COLUMNS,
                                         CURVES_PNG,
                                         RELERR_PNG,
                                         REPORT,
                                         VERDICTS,
                                         Comparison,
                                         NoGradientsAfterCrash,
                                         NotComparable,
                                         ParamComparison,
                                         Run,
                                         StepComparison,
                                         comparable_line,
                                         compare_runs,
                                         diff_lines,
                                         load_run,
                                         metric_rows,
                                         read_config,
                                         row_cells,
                                         write_report,
)
from minigpt.lab.compare.rounding import ROUNDING_ULPS, rounding_bound

__all__ = ["AGREE", "COLUMNS", "CURVES_PNG", "RELERR_PNG", "REPORT", "ROUNDING_ULPS", "VERDICTS", "Comparison",
           "NoGradientsAfterCrash", "NotComparable", "ParamComparison", "Run", "StepComparison", "comparable_line",
           "compare_runs", "diff_lines", "load_run", "metric_rows", "read_config", "rounding_bound", "row_cells",
           "write_report"]
