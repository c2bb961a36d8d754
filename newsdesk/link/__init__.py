"""Link: what only many articles together show (duplicates, stories, claim groups, grades)."""
