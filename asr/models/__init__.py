"""Models: the acoustic model, its encoders (a registry), the CPU fast path, model directories, export."""
