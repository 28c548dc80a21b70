"""Thin entry points the justfile calls: each parses its arguments and calls the library."""
