"""Corpus preparation: one module per corpus, each turning audio + transcripts into JSONL manifests."""
