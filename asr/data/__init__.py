"""Data: audio, log-mel features, tokenizers, manifests, feature shards, batches with their lengths."""
