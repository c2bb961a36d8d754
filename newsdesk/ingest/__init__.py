"""Ingest: inputs (files, folders, feeds, WARC, stdin) read into clean `Article` records."""
