"""Freezing: the plan (prune, variables to constants, rewrites), graph edits and the writer."""
