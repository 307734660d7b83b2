"""Inside the model: gate traces, gradient flow through time, saliency and unit probes (`asr inspect`)."""
