"""Publish: the output files, briefs and the run report, written from the store."""
