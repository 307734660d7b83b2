"""`asr` argument parsing and dispatch: prepare, features, lm, train, evaluate, results, report, export,
transcribe, inspect, serve. Problems with the user's input or the disk are printed as one line (`asr <command>:
<file>: <problem>`) with exit status 1, never as a traceback; Ctrl-C is one line too, with status 130.
Choices come from the registries (corpora, decoding strategies, distributions), so a registered addition
appears here by itself."""

import argparse
import errno
import sys

from asr import __version__
from asr.cli import commands
from asr.cli.output import configure_logging, discard_stdout
from asr.config import COUNT, DISTRIBUTIONS, POSITIVE, RANGES, check_range
from asr.decoding.strategies import strategy_names
from asr.errors import AsrError
from asr.inference.backends import BACKENDS
from asr.runtime import apply_thread_defaults, import_tensorflow_quietly

# every stage writes complete outputs only (asr.fileio) and skips what is done, so a rerun continues
INTERRUPTED = "interrupted; run the same command again to continue"

# transcribe imports TensorFlow only without a current ONNX export
USES_TENSORFLOW = ("train", "evaluate", "report", "export", "inspect")


# every numeric option's allowed values (those that set a config value share its range), checked up front
OPTION_RANGES = {"jobs": COUNT, "max_steps": COUNT, "beam_width": RANGES["decode.beam_width"],
                 "chunk_seconds": RANGES["decode.chunk_seconds"], "layer": COUNT, "utterances": COUNT, "nbest": COUNT,
                 "port": (0, 65535, False, False), "max_streams": COUNT, "max_upload_seconds": POSITIVE,
                 "max_upload_mb": POSITIVE, "max_stream_seconds": POSITIVE, "workers": COUNT}


def check_options(args):
    for dest, bounds in OPTION_RANGES.items():
        if getattr(args, dest, None) is not None:
            check_range(getattr(args, dest), bounds, "--" + dest.replace("_", "-"))


def corpus_names():
    """The corpora `asr prepare` knows; None where data_prep is not installed (the wheel: `asr prepare` says why)."""
    try:
        return list(commands.data_prep_corpora().CORPORA)
    except AsrError:
        return None


def add_command(sub, name, run, common, **kwargs):
    parser = sub.add_parser(name, parents=[common], **kwargs)
    parser.set_defaults(run=run)
    return parser


def add_data_commands(sub, common):
    p = add_command(sub, "prepare", commands.cmd_prepare, common, help="make manifests (and audio, for synth_en)",
                    description="Write DATA_DIR/manifests/{split}.jsonl for a corpus.")
    p.add_argument("--corpus", choices=corpus_names(), default="synth_en", help="corpus type (default: synth_en)")
    p.add_argument("--config", help="recipe YAML (synth_en: its `corpus` section; real corpora: its `splits`)")
    p.add_argument("--data-dir", required=True, help="output directory (manifests/; synth_en: wav/; with "
                   "--download: download/)")
    p.add_argument("--source", help="the corpus directory to read (an existing copy: nothing is downloaded)")
    p.add_argument("--download", action="store_true", help="download the corpus into DATA_DIR/download "
                   "(resumable, checksum-verified; skipped for archives already there)")
    p.add_argument("--url", help="common_voice: the download link the Common Voice site gave you")
    p.add_argument("--sha256", help="common_voice: the archive's SHA-256 from the same page")
    p.add_argument("--split", default="train", help="folder: the split name to write")
    p.add_argument("--jobs", type=int, help="parallel processes (default: all cores)")

    p = add_command(sub, "features", commands.cmd_features, common, help="compute log-mel feature shards and CMVN",
                    description="Read DATA_DIR/manifests/*.jsonl, write DATA_DIR/features/.")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--config", help="recipe YAML (its `features` section; default: the default settings)")
    p.add_argument("--jobs", type=int, help="parallel processes (default: all cores)")

    p = add_command(sub, "lm", commands.cmd_lm, common, help="estimate a word n-gram LM (ARPA)",
                    description="Write DATA_DIR/lm/<order>gram.arpa from the train manifest's transcripts and "
                    "any --text files, leaving out every sentence of the other manifests (dev, test).")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--text", action="append", default=[], help="extra LM text file, one sentence a line")
    p.add_argument("--order", type=int, default=3, help="n-gram order (3)")
    p.add_argument("--out", help="ARPA path (default DATA_DIR/lm/<order>gram.arpa)")


def add_model_commands(sub, common):
    p = add_command(sub, "train", commands.cmd_train, common, help="train (or resume training) a model",
                    description="Train on DATA_DIR/features; re-running the same command resumes.")
    p.add_argument("--config", required=True, help="recipe YAML")
    p.add_argument("--data-dir", required=True, help="directory with manifests/ and features/")
    p.add_argument("--run-dir", required=True, help="output: checkpoints, logs and model/")
    p.add_argument("--distribution", choices=DISTRIBUTIONS, default="default",
                   help="default: one device; mirrored: every GPU of this host; multiworker: several hosts "
                        "described by TF_CONFIG (docs/installs.md). Batch sizes are global: the same config trains the "
                        "same model on any number of devices")
    p.add_argument("--init-from", metavar="RUN_DIR", help="fine-tune: start from this trained model's weights (a "
                   "run or model directory of the same architecture and features; a new vocabulary gets a new "
                   "classifier). Resuming needs the same --init-from")
    p.add_argument("--max-steps", type=int, help="stop after this many more batches (a checkpoint is written; "
                                                 "re-run to continue)")

    p = add_command(sub, "export", commands.cmd_export, common, help="write the model as ONNX and a SavedModel",
                    description="Write RUN_DIR/model/{model.onnx,saved_model/,export.json} (--int8: model.int8.onnx "
                    "too). `asr transcribe` then runs the ONNX model in onnxruntime, which is faster on a CPU.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory or its model/ directory")
    p.add_argument("--int8", action="store_true", help="also write model.int8.onnx, its LSTM weights in int8 "
                   "(onnxruntime dynamic quantization; LSTM models only), for `asr transcribe --backend onnx-int8`")


def add_evaluation_commands(sub, common):
    p = add_command(sub, "evaluate", commands.cmd_evaluate, common, help="decode splits and write their reports",
                    description="Write RUN_DIR/decode/<split>[_<strategy>]/ (wer.json, hyp.txt, alignments, ...).")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--data-dir", required=True)
    p.add_argument("--split", action="append", required=True, help="split name; repeat for several")
    p.add_argument("--config", help="recipe YAML whose `decode` section gives the defaults (default: the model's)")
    p.add_argument("--strategy", action="append", choices=strategy_names(),
                   help="decoding; repeat for several (default: the decode section's)")
    p.add_argument("--beam-width", type=int, help="default: the decode section's")
    p.add_argument("--lm", help="ARPA file for the LM strategies (beam_lm)")
    p.add_argument("--tune-split", default="dev", help="split the LM weights are tuned on (dev)")

    p = add_command(sub, "results", commands.cmd_results, common, help="print a run's results as a Markdown table",
                    description="One row per split and strategy with its 95 % interval, then paired comparisons.")
    p.add_argument("run_dir", metavar="RUN_DIR")
    p.add_argument("split", nargs="+", metavar="SPLIT")

    p = add_command(sub, "report", commands.cmd_report, common, help="write a self-contained HTML report",
                    description="Write RUN_DIR/report.html from what `asr evaluate` wrote.")
    p.add_argument("--run-dir", required=True)
    p.add_argument("--data-dir", required=True, help="for the spectrograms of the worst utterances")
    p.add_argument("--split", action="append", required=True, help="split name; repeat for several")
    p.add_argument("--compare", action="append", default=[], metavar="RUN_DIR",
                   help="another run scored on the same splits: paired comparison table")


def add_inspect_command(sub, common):
    p = add_command(sub, "inspect", commands.cmd_inspect, common, help="see inside the model: gates, gradient flow, "
                    "saliency, unit probes", description="For each AUDIO file write OUT/<stem>/ (gates and cell "
                    "state per layer, gradient flow through time, word saliency, summary.json); with --data-dir, "
                    "statistics over a sample of a split (effective context per layer, gate saturation, probe "
                    "units). docs/inside-the-model.md.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a run directory or its model/ directory")
    p.add_argument("files", nargs="*", metavar="AUDIO", help="audio files (any format libsndfile reads, ≤ 60 s)")
    p.add_argument("--layer", type=int, help="draw the gates of this layer only (1 = nearest the input)")
    p.add_argument("--out", help="output directory (default: RUN_DIR/inspect)")
    p.add_argument("--data-dir", help="also compute statistics over a sample of --split of this data directory")
    p.add_argument("--split", default="dev", help="split for the statistics (dev)")
    p.add_argument("--utterances", type=int, default=20, help="utterances sampled for the statistics (20)")


def add_transcribe_command(sub, common):
    p = add_command(sub, "transcribe", commands.cmd_transcribe, common, help="transcribe audio files",
                    description="Print a transcript per file (any format libsndfile reads, any rate; read "
                    "block by block, so any length). FILE - reads a WAV or FLAC stream from standard input.")
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files; - for standard input")
    p.add_argument("--model", help="run directory (default: $ASR_MODEL, else the default recipe's newest model)")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of {file, duration, text, words: [{word, start, end, confidence}]}")
    p.add_argument("--chunk-seconds", type=float, help="cut longer files into chunks (default: the model's, 20)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto: onnxruntime if `asr export` wrote a model for these weights, else TensorFlow; "
                   "onnx-int8: the int8 model of `asr export --int8` (never chosen by auto)")
    p.add_argument("--strategy", choices=strategy_names(), help="decoding (default: the model's, greedy)")
    p.add_argument("--beam-width", type=int, help="default: the model's (32)")
    p.add_argument("--stream", action="store_true",
                   help="streaming model: print results while the audio arrives (partials rewritten in place on a "
                   "terminal, finals as lines; --json: one event per line). FILE - reads raw 16-bit little-endian "
                   "mono PCM at the model's rate (16 kHz) from standard input, e.g. from arecord")
    p.add_argument("--realtime", action="store_true", help="with --stream FILE: feed the file at the pace of speech")
    p.add_argument("--lm", action="store_true",
                   help="beam search with the run's word LM and the weights `asr evaluate` tuned on dev")
    p.add_argument("--lm-arpa", metavar="ARPA", help="beam search with this ARPA LM (default weights)")
    add_hotword_options(p)


def add_hotword_options(p):
    p.add_argument("--hotword", action="append", default=[], metavar="WORD[:WEIGHT]",
                   help="favour this word or phrase (LM beam search; implies --lm unless a strategy or LM is "
                        "given); WEIGHT: log-probability added when it is spelled whole (default 5, 0-100). "
                        "Repeat for several")
    p.add_argument("--hotwords", action="append", default=[], metavar="FILE",
                   help="hot-words from a file, one WORD[:WEIGHT] a line (# comments)")
    p.add_argument("--nbest", type=int, metavar="N", help="with --json: the N best distinct transcripts of each "
                   "file with their scores, as `alternatives` (beam or beam_lm; N <= beam width)")


def add_serve_command(sub, common):
    p = add_command(sub, "serve", commands.cmd_serve, common, help="serve transcription over HTTP and WebSocket",
                    description="Serve a web page that transcribes the microphone live and dropped files, "
                    "POST /transcribe (an audio file -> JSON) and the WebSocket /stream (16 kHz PCM -> partial "
                    "and final results), and OpenAI's POST /v1/audio/transcriptions. docs/serving.md.")
    p.add_argument("--model", help="run directory (default: $ASR_MODEL, else the default recipe's newest model)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only; "
                   "any other needs --token)")
    p.add_argument("--port", type=int, default=8000, help="port (8000; 0 picks a free one)")
    p.add_argument("--max-streams", type=int, default=8, help="WebSocket streams at once; one more is refused "
                   "with close code 1013 (8). Also the uploads transcribed at once")
    p.add_argument("--max-upload-seconds", type=float, default=600, help="longest upload, in seconds (600)")
    p.add_argument("--max-upload-mb", type=float, default=200, help="largest upload, in MB (200)")
    p.add_argument("--max-stream-seconds", type=float, default=3600, help="most audio in one stream (3600)")
    p.add_argument("--workers", type=int, default=2, help="threads that run the model (2)")
    p.add_argument("--backend", choices=BACKENDS, default="auto",
                   help="auto: onnxruntime if `asr export` wrote a model for these weights, else TensorFlow; "
                   "onnx-int8: the int8 model of `asr export --int8` (never chosen by auto)")
    p.add_argument("--token", help="require this token on every request (Authorization: Bearer TOKEN, or "
                   "?token=TOKEN in the page's address); required when --host is not loopback")
    p.add_argument("--token-file", metavar="PATH", help="read the token from the first line of this file "
                   "(kept out of the process list)")
    p.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                   help="let pages of this origin (https://host[:port]) open the WebSocket and upload; by default "
                   "only the server's own page may. Repeat for several")


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more detail")
    common.add_argument("-q", "--quiet", action="count", default=0, help="problems only")
    parser = argparse.ArgumentParser(prog="asr", description="BiLSTM-CTC speech recognition: prepare data, "
                                     "compute features, train, evaluate and transcribe.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_data_commands(sub, common)
    add_model_commands(sub, common)
    add_evaluation_commands(sub, common)
    add_transcribe_command(sub, common)
    add_inspect_command(sub, common)
    add_serve_command(sub, common)
    return parser


def os_error_line(error):
    """The last resort for an OSError no writer turned into an AsrError (asr.fileio translates every file
    write): a read, a delete or a library's own file access names its file; one without a file name is a
    failed write to standard output (a redirection onto a full disk), named by where it points."""
    if error.errno == errno.ENOSPC:
        return f"no space left on device: {error.filename or discard_stdout()}"
    if error.filename:
        return f"{error.filename}: {error.strerror or error}"
    return f"{discard_stdout()}: cannot write ({error.strerror or error})"


def main(argv=None):
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose - args.quiet)
    apply_thread_defaults()
    try:
        if args.command in USES_TENSORFLOW:
            import_tensorflow_quietly()
        check_options(args)
        status = args.run(args) or 0
        sys.stdout.flush()  # a full disk behind `> file` shows here, as one line, not after main returns
        return status
    except AsrError as e:
        print(f"asr {args.command}: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `asr transcribe ... | head`: the reader has all it wanted; stop quietly
        discard_stdout()
        return 0
    except OSError as e:
        print(f"asr {args.command}: {os_error_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the stages' workers ignore Ctrl-C (asr.workers): only this process reports it
        print(f"asr {args.command}: {INTERRUPTED}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
