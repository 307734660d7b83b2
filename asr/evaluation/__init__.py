"""Evaluation: scoring, alignments, significance, per-split reports, results tables, the HTML report."""
