"""Where everything lives on disk: the one module that spells the data- and run-directory layout.

    DATA_DIR/                             RUN_DIR/
      manifests/<split>.jsonl               config.json        the recipe config it trained with
      corpus_manifests/<official>.jsonl     checkpoint.npz     resume state
      download/                             init_from.json     fine-tuning: the source model
                                            log.csv, tensorboard/
                                            augmented/copy-<k>/  train.augment.copies
      wav/                  (synth_en)      training_done.json
      features/<split>/     shards          model/             model.json, model.weights.h5,
      features/cmvn.json                                       model.onnx, model.int8.onnx, saved_model/,
      lm/<order>gram.arpa                                      export.json, model.stream[.int8].onnx
                                            decode/<split>[_<strategy>]/   per-split reports
                                            decode/posteriors/<split>.npz, decode/lm_weights.json
                                            report.html
"""

from pathlib import Path


class DataLayout:
    """Paths inside a data directory."""

    def __init__(self, data_dir):
        self.root = Path(data_dir)
        self.manifests = self.root / "manifests"
        self.corpus_manifests = self.root / "corpus_manifests"
        self.download = self.root / "download"
        self.wav = self.root / "wav"
        self.features = self.root / "features"
        self.cmvn = self.features / "cmvn.json"
        self.lm = self.root / "lm"

    def manifest(self, split):
        return self.manifests / f"{split}.jsonl"

    def feature_split(self, split):
        return self.features / split

    def lm_arpa(self, order):
        return self.lm / f"{order}gram.arpa"


class ModelLayout:
    """Paths inside a model directory (RUN_DIR/model)."""

    def __init__(self, model_dir):
        self.root = Path(model_dir)
        self.json = self.root / "model.json"
        self.weights = self.root / "model.weights.h5"
        self.onnx = self.root / "model.onnx"
        self.stream_onnx = self.root / "model.stream.onnx"  # one step of a stream (encoders that stream)
        self.stream_onnx_int8 = self.root / "model.stream.int8.onnx"
        self.onnx_int8 = self.root / "model.int8.onnx"  # `asr export --int8`
        self.saved_model = self.root / "saved_model"
        self.export_json = self.root / "export.json"


class RunLayout:
    """Paths inside a training run directory."""

    def __init__(self, run_dir):
        self.root = Path(run_dir)
        self.config = self.root / "config.json"
        self.checkpoint = self.root / "checkpoint.npz"
        self.init_from = self.root / "init_from.json"  # `asr train --init-from`: where the weights came from
        self.log_csv = self.root / "log.csv"
        self.tensorboard = self.root / "tensorboard"
        self.training_done = self.root / "training_done.json"
        self.augmented_copies = self.root / "augmented"  # copy-<k>/ shards: train.augment.copies
        self.model = ModelLayout(self.root / "model")
        self.decode = self.root / "decode"
        self.lm_weights = self.decode / "lm_weights.json"
        self.report = self.root / "report.html"
        self.inspection = self.root / "inspect"  # `asr inspect` figures and statistics

    def decoded(self, split, strategy):
        """The report directory of one split decoded by one strategy (greedy keeps the bare split name)."""
        return self.decode / (split if strategy == "greedy" else f"{split}_{strategy}")

    def posteriors(self, split):
        return self.decode / "posteriors" / f"{split}.npz"


def model_layout(path):
    """The ModelLayout of a run directory or of its model/ directory, whichever `path` is."""
    path = Path(path)
    return RunLayout(path).model if (path / "model").is_dir() else ModelLayout(path)


def run_of_model(model):
    """The RunLayout a model directory belongs to."""
    return RunLayout(model.root.parent)
