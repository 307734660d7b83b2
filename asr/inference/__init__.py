"""Inference: the network over feature shards, and transcription of audio files."""
