"""The lab around the course model, one concept per folder: compare/ (two runs' gradients, the rounding bound,
plots), sweep/ (seeds aggregated), matrix/ (the break matrix), graph/ (the mini-GPT under the doctor), tape/ (a
NumPy autograd tape); compose.py composes the Hydra config shipped in minigpt/configs/.

It imports the core (minigpt.config ... minigpt.runs) and the autograd doctor, never the exercises or the CLI.
"""
