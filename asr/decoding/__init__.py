"""Decoding: CTC output -> text, by a strategy from the registry; word LMs and word timings."""
