"""The exercise course (theory/exercises.md): each exercise's check, planted bugs, predictions, hint cascades.

It runs the course's core and the lab's break matrix; nothing below it imports it, and it never imports the CLI.
"""
