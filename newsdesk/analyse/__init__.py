"""Analyse: the per-article stage, a pure function of one article and resources loaded once."""
