"""minigpt: a small GPT whose residual add can run in place, to show the autograd graph break.

Three layers, each importing only the ones before it:
  core   config, data, attention, layer_norm, feed_forward, block (the switch), model, train, runs:
         the course a learner reads top to bottom; no Hydra, no printing
  lab    minigpt.lab: compare runs, sweep seeds, the break matrix, plots, notes, hints, exercises, tape
  cli    minigpt.cli: thin entry points the justfile calls (Hydra apps and commands)
The autograd doctor (autograd_doctor) sits beside them: the course calls it, it never calls the course.
"""
