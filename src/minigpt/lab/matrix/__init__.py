"""The break matrix: each in-place variant in the mini-GPT, classified safe, loud or silent."""

from minigpt.lab.matrix.matrix import VARIANTS, Row, Variant, break_matrix, format_error, relative_error

__all__ = ["VARIANTS", "Row", "Variant", "break_matrix", "format_error", "relative_error"]
