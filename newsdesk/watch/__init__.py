"""`newsdesk watch`: follow outlets (feeds, sitemaps, URL lists, drop folders), fold new
reports into the record through the pipeline, and alert analysts.

config (the watch file) → sources (what each lists) → fetch (polite HTTP) → runner
(a poll: fetch, then `pipeline.run_articles`, then alerts) → state (the watcher's
tables in the store); schedule says when each source is due.
"""
