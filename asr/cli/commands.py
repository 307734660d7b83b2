"""One function per `asr` subcommand: turn parsed arguments into a library call, print its outcome."""

import importlib
import sys

from asr.config import RecipeConfig
from asr.recipe import load_config
from asr.errors import AsrError
from asr.provenance import package_parent


def recipe_config(args):
    """The --config recipe, or the defaults when none was given."""
    return load_config(args.config) if args.config else RecipeConfig()


def data_prep_corpora():
    """data_prep.corpora, the CLI's one way into data_prep. data_prep/ lives in the source checkout beside asr/ and
    the recipes, and is not installed (no generic top-level package in site-packages): an editable install
    imports it from the checkout asr runs from; an installed wheel has none, which is an AsrError."""
    checkout = package_parent()
    if (checkout / "data_prep" / "__init__.py").is_file() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))  # an editable install maps asr alone onto the checkout
    try:
        return importlib.import_module("data_prep.corpora")
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "data_prep":
            raise  # a dependency of data_prep is missing: a broken install, not a wheel without data_prep
        raise AsrError("corpus preparation (data_prep/) comes with the source checkout, not with the installed "
                       "package: clone the repository and run asr there (docs/installs.md)") from None


def cmd_prepare(args):
    from asr.data.manifest import warn_shared_utterances
    from asr.layout import DataLayout
    corpora = data_prep_corpora()
    config = recipe_config(args)
    request = corpora.PrepareRequest(args.data_dir, config.corpus, config.splits, args.source, args.download,
                                     args.split, args.url, args.sha256, args.jobs)
    corpora.prepare(args.corpus, request)
    warn_shared_utterances(DataLayout(args.data_dir).manifests, "prepare")


def cmd_features(args):
    from asr.data.compute_features import compute_features
    compute_features(args.data_dir, recipe_config(args).features, args.jobs)


def cmd_lm(args):
    from asr.decoding.ngram_lm import build_lm
    build_lm(args.data_dir, args.text, args.order, args.out)


def cmd_train(args):
    from asr.data.manifest import warn_shared_utterances
    from asr.layout import DataLayout
    from asr.training.trainer import train
    warn_shared_utterances(DataLayout(args.data_dir).manifests, "train")
    train(load_config(args.config), args.data_dir, args.run_dir, args.max_steps, args.distribution, args.init_from)


def cmd_evaluate(args):
    from asr.evaluation.evaluate_run import evaluate_run
    decode = load_config(args.config).decode if args.config else None
    evaluate_run(args.run_dir, args.data_dir, args.split, args.strategy, args.beam_width, args.lm, args.tune_split,
                 decode)


def cmd_results(args):
    from asr.evaluation.results import results_table
    print(results_table(args.run_dir, args.split))


def cmd_report(args):
    from asr.evaluation.html_report import write_html_report
    path, written = write_html_report(args.run_dir, args.data_dir, args.split, args.compare)
    print(f"wrote {path}" if written else f"kept {path}: current for its decodes, training log and model")


def cmd_export(args):
    from asr.layout import ModelLayout
    from asr.models.export import export_model
    from asr.models.quantize import describe
    root, int8_nodes = export_model(args.run_dir, args.int8)
    print(f"wrote {root}/{{model.onnx,{'model.int8.onnx,' if args.int8 else ''}saved_model/}}")
    if args.int8:
        fp32, int8 = (path.stat().st_size / 1e6 for path in (ModelLayout(root).onnx, ModelLayout(root).onnx_int8))
        print(f"model.int8.onnx: {int8:.1f} MB (model.onnx {fp32:.1f} MB), {describe(int8_nodes)}")


def announced_model(args):
    """The model to transcribe with (asr.inference.default_model); when the user did not name it, one line on
    standard error names it and why it was chosen (-q silences it): standard output is for transcripts."""
    from asr.inference.default_model import find_model
    chosen, why = find_model(args.model)
    if why and args.quiet == 0:
        print(f"asr {args.command}: model {chosen} ({why})", file=sys.stderr, flush=True)
    return chosen


def cmd_transcribe(args):
    from asr.cli.output import print_transcripts
    from asr.decoding.hotwords import read_hotword_file
    from asr.inference.transcriber import RUN_LM, Transcriber, times_words, transcribe_files
    if args.nbest and not args.json:
        raise AsrError("--nbest lists the alternatives in the JSON output: add --json")
    hotwords = [(spec, "--hotword") for spec in args.hotword] + [
        located for path in args.hotwords for located in read_hotword_file(path)]
    # hot-words are an LM beam search's: asked for alone, they mean the run's LM
    lm = args.lm_arpa or (RUN_LM if args.lm or (hotwords and not args.strategy) else None)
    strategy = "beam_lm" if lm and not args.strategy else args.strategy
    if args.stream:
        return stream_transcript(args, strategy, lm, hotwords)
    model_dir = announced_model(args)
    words = args.json and times_words(model_dir, strategy)  # JSON has word timings where the decoding keeps them
    transcriber = Transcriber(model_dir, strategy, args.beam_width, args.chunk_seconds, args.backend, lm, words,
                              hotwords, args.nbest)
    failures = print_transcripts(transcribe_files(args.files, transcriber), args.json, len(args.files) > 1,
                                 sys.stdout, sys.stderr)
    return 1 if failures else 0


def stream_transcript(args, strategy, lm, hotwords):
    """`asr transcribe --stream FILE|-`: partial and final results while the audio arrives."""
    from asr.cli.output import print_stream_events
    from asr.inference.stream_sources import file_pieces, paced, pcm_pieces, stream_events
    from asr.inference.streaming import StreamingRecognizer
    if len(args.files) != 1 or args.nbest:
        raise AsrError("--stream takes one FILE (or - for raw PCM on standard input) and no --nbest")
    recognizer = StreamingRecognizer(announced_model(args), args.backend, strategy, lm, args.beam_width,
                                     hotwords=hotwords)
    rate, path = recognizer.info.features.sample_rate, args.files[0]
    pieces = pcm_pieces(sys.stdin.buffer, rate) if path == "-" else file_pieces(path, rate)
    print_stream_events(stream_events(recognizer, paced(pieces, rate) if args.realtime else pieces), args.json)
    return 0


def cmd_inspect(args):
    from asr.inspection.inspect_run import inspect_files, inspect_split, statistics_table
    from asr.layout import run_of_model
    from asr.models.model_dir import load_trained_model
    if not args.files and not args.data_dir:
        raise AsrError("give AUDIO files, --data-dir (statistics over a split), or both")
    model, info = load_trained_model(args.run_dir)
    out = args.out or run_of_model(info.layout).inspection
    failures = 0
    for result in inspect_files(model, info, args.files, out, args.layer):
        if "error" in result:
            print(f"asr inspect: {result['error']}", file=sys.stderr, flush=True)
            failures += 1
            continue
        print(f"{result['file']}: {result['summary']['text']}")
        for c in result["summary"]["context"]:
            print(f"  from the input of layer {c['from_layer']}: looks back {c['past_ms']:.0f} ms, "
                  f"ahead {c['future_ms']:.0f} ms")
        print(f"  wrote {result['out']}/", flush=True)
    if args.data_dir:
        print(statistics_table(inspect_split(model, info, args.data_dir, args.split, out, args.utterances)))
        print(f"wrote {out}/{args.split}_statistics.json")
    return 1 if failures else 0


def cmd_serve(args):
    from asr.serving.access import Access, check_exposure, check_origin, read_token_file
    from asr.serving.app import serve
    from asr.serving.limits import ServeLimits
    if args.token and args.token_file:
        raise AsrError("give --token or --token-file, not both")
    token = read_token_file(args.token_file) if args.token_file else args.token
    check_exposure(args.host, token)  # before the model is looked for: the refusal is the one line
    access = Access(token, tuple(check_origin(origin) for origin in args.allow_origin))
    limits = ServeLimits(args.max_streams, args.max_upload_seconds, int(args.max_upload_mb * 1e6),
                         args.max_stream_seconds, workers=args.workers)
    try:
        serve(announced_model(args), args.host, args.port, limits, args.backend, access)
    except KeyboardInterrupt:  # Ctrl-C is how a server is stopped: not an interruption to report
        print("asr serve: stopped", file=sys.stderr)
    return 0
