"""The lab around the course model: compare runs, sweep seeds, the break matrix, plots, notes, hints, tape.

It imports the core (minigpt.config ... minigpt.runs) and the autograd doctor, never the CLI.
"""
