"""minigpt: a small GPT whose residual add can run in place, to show the autograd graph break."""
