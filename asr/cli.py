"""The `asr` command: prepare, features, lm, train, evaluate, report, export, transcribe.

Each subcommand is a thin layer over a library function; problems with the user's input are printed as
one line (`asr <command>: <file>: <problem>`) with exit status 1, never as a traceback.
"""

import argparse
import os
import sys

from asr.config import DISTRIBUTIONS
from asr.errors import AsrError
from asr.quiet_tf import import_tensorflow_quietly
from asr.results import STRATEGIES

CORPORA = ("synth_en", "folder", "librispeech", "ljspeech", "common_voice", "timit", "an4", "yesno")


def cmd_prepare(args):
    from asr.config import load_config
    if args.corpus == "synth_en":
        from data_prep.synth_en import prepare_synth_en
        prepare_synth_en(load_config(args.config).corpus, args.data_dir, args.jobs)
    elif args.corpus == "folder":
        if not args.source:
            raise AsrError("--source is required for corpus folder")
        from data_prep import folder
        folder.prepare(args.source, os.path.join(args.data_dir, "manifests"), args.split)
    else:
        from data_prep.corpora import prepare_corpus
        splits = load_config(args.config).splits if args.config else None
        prepare_corpus(args.corpus, args.data_dir, args.source, args.download, splits, args.url, args.sha256,
                       args.jobs)


def cmd_features(args):
    from asr.config import load_config
    from data_prep.compute_features import compute_features
    shard_size = load_config(args.config).features.utterances_per_shard if args.config else 2000
    compute_features(os.path.join(args.data_dir, "manifests"), os.path.join(args.data_dir, "features"),
                     shard_size, args.jobs)


def cmd_lm(args):
    from asr.lm import build_lm
    build_lm(args.data_dir, args.text, args.order, args.out)


def cmd_train(args):
    from asr.config import load_config
    from asr.train import train
    train(load_config(args.config), args.data_dir, args.run_dir, args.max_steps, args.strategy)


def cmd_evaluate(args):
    from asr.config import load_config
    from asr.evaluate_run import evaluate_run
    config = load_config(args.config) if args.config else None
    evaluate_run(args.run_dir, args.data_dir, args.split, args.strategy or ["greedy"], args.beam_width, args.lm,
                 args.tune_split, config)


def cmd_report(args):
    from asr.html_report import write_html_report
    print(f"wrote {write_html_report(args.run_dir, args.data_dir, args.split, args.compare)}")


def cmd_export(args):
    from asr.export import export_model
    from asr.transcribe import resolve_model_dir
    print(f"wrote {export_model(resolve_model_dir(args.run_dir))}/{{model.onnx,saved_model/}}")


def cmd_transcribe(args):
    from asr.transcribe import Transcriber, transcribe_paths
    transcriber = Transcriber(args.model, args.strategy, args.beam_width, args.chunk_seconds, args.backend,
                              args.lm_arpa or ("run" if args.lm else None), args.json)
    failures = transcribe_paths(args.files, transcriber, args.json, sys.stdout, sys.stderr)
    return 1 if failures else 0


def build_parser():
    parser = argparse.ArgumentParser(prog="asr", description="BiLSTM-CTC speech recognition: prepare data, "
                                     "compute features, train, evaluate and transcribe.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="make manifests (and audio, for synth_en) for a corpus",
                       description="Write DATA_DIR/manifests/{split}.jsonl for a corpus.")
    p.add_argument("--corpus", choices=CORPORA, default="synth_en", help="corpus type (default: synth_en)")
    p.add_argument("--config", help="recipe YAML (synth_en: its `corpus` section sets size and voices)")
    p.add_argument("--data-dir", required=True, help="output directory (manifests/; synth_en: wav/; with "
                   "--download: download/)")
    p.add_argument("--source", help="the corpus directory to read (an existing copy: nothing is downloaded)")
    p.add_argument("--download", action="store_true", help="download the corpus into DATA_DIR/download "
                   "(resumable, checksum-verified; skipped for archives already there)")
    p.add_argument("--url", help="common_voice: the download link the Common Voice site gave you")
    p.add_argument("--sha256", help="common_voice: the archive's SHA-256 from the same page")
    p.add_argument("--split", default="train", help="folder: the split name to write")
    p.add_argument("--jobs", type=int, help="parallel processes (default: all cores)")
    p.set_defaults(run=cmd_prepare)

    p = sub.add_parser("features", help="compute log-mel feature shards and CMVN statistics",
                       description="Read DATA_DIR/manifests/*.jsonl, write DATA_DIR/features/.")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--config", help="recipe YAML (its `features` section)")
    p.add_argument("--jobs", type=int, help="parallel processes (default: all cores)")
    p.set_defaults(run=cmd_features)

    p = sub.add_parser("lm", help="estimate a word n-gram LM (ARPA) from the training transcripts",
                       description="Write DATA_DIR/lm/<order>gram.arpa from the train manifest's transcripts "
                       "and any --text files, leaving out every sentence of the other manifests (dev, test).")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--text", action="append", default=[], help="extra LM text file, one sentence a line")
    p.add_argument("--order", type=int, default=3, help="n-gram order (3)")
    p.add_argument("--out", help="ARPA path (default DATA_DIR/lm/<order>gram.arpa)")
    p.set_defaults(run=cmd_lm)

    p = sub.add_parser("train", help="train (or resume training) a model",
                       description="Train on DATA_DIR/features; re-running the same command resumes.")
    p.add_argument("--config", required=True, help="recipe YAML")
    p.add_argument("--data-dir", required=True, help="directory with manifests/ and features/")
    p.add_argument("--run-dir", required=True, help="output: checkpoints, logs and model/")
    p.add_argument("--strategy", choices=DISTRIBUTIONS, default="default",
                   help="default: one device; mirrored: every GPU of this host; multiworker: several hosts "
                        "described by TF_CONFIG (README). Batch sizes are global: the same config trains the "
                        "same model on any number of devices")
    p.add_argument("--max-steps", type=int, help="stop after this many more batches (a checkpoint is written; "
                                                 "re-run to continue)")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="decode a split and write hyp.txt and wer.json",
                       description="Write RUN_DIR/decode/<split>/{hyp.txt,wer.json}.")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--split", action="append", required=True, help="split name; repeat for several")
    p.add_argument("--config", help="recipe YAML (default: the run's own config.json)")
    p.add_argument("--strategy", action="append", choices=STRATEGIES,
                   help="decoding; repeat for several (default greedy)")
    p.add_argument("--beam-width", type=int, default=32)
    p.add_argument("--lm", help="ARPA file for beam_lm")
    p.add_argument("--tune-split", default="dev", help="split the LM weights are tuned on (dev)")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("report", help="write a self-contained HTML evaluation report",
                       description="Write RUN_DIR/report.html from what `asr evaluate` wrote.")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--data-dir", required=True, help="for the spectrograms of the worst utterances")
    p.add_argument("--split", action="append", required=True, help="split name; repeat for several")
    p.add_argument("--compare", action="append", default=[], metavar="RUN_DIR",
                   help="another run scored on the same splits: paired comparison table")
    p.set_defaults(run=cmd_report)

    p = sub.add_parser("export", help="write the model as ONNX (used by transcribe) and a SavedModel",
                       description="Write RUN_DIR/model/{model.onnx,saved_model/,export.json}. "
                       "`asr transcribe` then runs the ONNX model in onnxruntime, which is faster on a CPU.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory or its model/ directory")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("transcribe", help="transcribe audio files",
                       description="Print a transcript per file (any format libsndfile reads, any rate).")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--model", help="run directory (default: the default recipe's latest model)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {file, duration, text, words: [{word, start, end, confidence}]}")
    p.add_argument("--chunk-seconds", type=float, default=20.0, help="cut longer files into chunks (20)")
    p.add_argument("--backend", choices=("auto", "onnx", "tf"), default="auto",
                   help="auto: onnxruntime if `asr export` wrote a model for these weights, else TensorFlow")
    p.add_argument("--strategy", choices=("greedy", "beam"), default="greedy")
    p.add_argument("--beam-width", type=int, default=32)
    p.add_argument("--lm", action="store_true",
                   help="beam search with the run's word LM and the weights `asr evaluate` tuned on dev")
    p.add_argument("--lm-arpa", metavar="ARPA", help="beam search with this ARPA LM (default weights)")
    p.set_defaults(run=cmd_transcribe)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command in ("train", "evaluate", "export", "transcribe"):
        import_tensorflow_quietly()
    try:
        return args.run(args) or 0
    except AsrError as e:
        print(f"asr {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"asr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
