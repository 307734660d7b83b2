"""Inference: transcription of audio files, by TensorFlow or by the ONNX export in onnxruntime."""
