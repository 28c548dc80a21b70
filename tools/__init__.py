"""What works on the repository itself, not part of the course package: the notes generator and its measurements."""
