"""The mini-GPT under the autograd doctor: one forward, every graph break, each block a region."""

from minigpt.lab.graph.gpt_doctor import diagnose_model

__all__ = ["diagnose_model"]
