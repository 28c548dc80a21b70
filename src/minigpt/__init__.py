"""minigpt: a small GPT whose residual add can run in place, to show the autograd graph break.

Four layers, each importing only the ones before it:
  core   config, data, attention, layer_norm, feed_forward, block (the switch), model, train, runs:
         the course a learner reads top to bottom; no Hydra, no printing
  lab    minigpt.lab: compare/ runs, sweep/ seeds, matrix/ (the break matrix), graph/ (the doctor on the GPT),
         tape/ (a NumPy autograd tape), compose.py (Hydra, over the configs shipped in minigpt/configs/)
  exercises  minigpt.exercises: the exercise course's checks, planted bugs, predictions and hints
  cli    minigpt.cli: thin entry points the justfile calls (Hydra apps and commands)
The autograd doctor (autograd_doctor) sits beside them: the course calls it, it never calls the course.
"""
