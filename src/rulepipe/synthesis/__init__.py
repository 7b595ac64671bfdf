"""Boundary-query synthesis: cloze rewrites (refuse) and neighbor questions (answer)."""
