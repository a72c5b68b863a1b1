"""Brainstorming threads: seeding ideas, merging near-duplicates, grouping themes, wrapping up."""
