"""beam_lm (our CTC prefix beam search over KenLM) against pyctcdecode on a trained run's splits.

Both decode the same logits (the network run once per split, as `asr evaluate` does) with the same LM,
alpha, beta and beam width: by default those of RUN/decode/lm_weights.json, written by `asr evaluate`.
Prints per split each decoder's WER, how many transcripts differ, each one's decoding time (LM loading
left out) and the ratio. --grid also tunes (alpha, beta) on the first split with each decoder, over the
grid `asr evaluate` uses, prints both WERs at every point, and decodes the other splits once more with
each decoder at the weights it chose.

    python tools/compare_lm_decoders.py --run-dir recipes/synth_en/exp/small \
        --data-dir recipes/synth_en/data/small --split dev --split test

pyctcdecode is imported here only; install it with `pip install --no-deps pyctcdecode pygtrie` (its
numpy<2 pin is stale).
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from asr.data.tokenizer import BLANK
from asr.decoding.lm_beam import LmDecoder, log_softmax, tune_weights
from asr.evaluation.scoring import score
from asr.layout import DataLayout, RunLayout
from asr.runtime import apply_thread_defaults, import_tensorflow_quietly, native_stderr_silenced


class PyctcdecodeDecoder:
    """pyctcdecode 0.5 behind LmDecoder's set_weights/decode, called as beam_lm called it before."""

    def __init__(self, arpa, alpha, beta, beam_width, tokenizer):
        try:
            from pyctcdecode import build_ctcdecoder
        except ImportError:
            raise SystemExit("pyctcdecode is not installed: pip install --no-deps pyctcdecode pygtrie") from None
        labels = ["" if i == BLANK else symbol for i, symbol in enumerate(tokenizer.symbols)]
        with native_stderr_silenced():  # KenLM's loading progress bar
            self.decoder = build_ctcdecoder(labels, kenlm_model_path=str(arpa), alpha=alpha, beta=beta)
        self.alpha, self.beta, self.beam_width = alpha, beta, beam_width

    def set_weights(self, alpha, beta):
        self.decoder.reset_params(alpha=float(alpha), beta=float(beta))
        self.alpha, self.beta = alpha, beta

    def decode(self, logits_list):
        return [" ".join(self.decoder.decode_beams(log_softmax(np.asarray(logits, np.float32)),
                                                   beam_width=self.beam_width)[0][0].split())
                for logits in logits_list]


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def compare(decoders, split, logits, references, weights="the same weights"):
    """Decode the split with each decoder at its current weights; prints one line."""
    texts, seconds, wer = {}, {}, {}
    for name, decoder in decoders.items():
        texts[name], seconds[name] = timed(decoder.decode, logits)
        wer[name] = score(references, texts[name])["wer"]
    differ = sum(a != b for a, b in zip(texts["ours"], texts["pyctcdecode"]))
    ours, theirs = decoders["ours"], decoders["pyctcdecode"]
    print(f"{split}, {weights}: {len(references)} utterances, beam {ours.beam_width}: "
          f"WER ours {wer['ours']:.2%} (alpha {ours.alpha} beta {ours.beta}), "
          f"pyctcdecode {wer['pyctcdecode']:.2%} (alpha {theirs.alpha} beta {theirs.beta}); "
          f"{differ} transcripts differ; decoding ours {seconds['ours']:.1f} s, "
          f"pyctcdecode {seconds['pyctcdecode']:.1f} s (pyctcdecode / ours = "
          f"{seconds['pyctcdecode'] / seconds['ours']:.2f})", flush=True)


def grid(decoders, split, logits, references):
    """Tune (alpha, beta) on the split with each decoder; prints the grid and the choices, and returns them
    as {decoder name: (alpha, beta)}."""
    tuned, seconds = {}, {}
    for name, decoder in decoders.items():
        tuned[name], seconds[name] = timed(tune_weights, decoder, logits, references, score)
    print(f"{split} grid: alpha beta  WER ours  WER pyctcdecode")
    for mine, theirs in zip(tuned["ours"]["grid"], tuned["pyctcdecode"]["grid"]):
        print(f"  {mine['alpha']:5} {mine['beta']:4}  {mine['wer']:8.2%}  {theirs['wer']:8.2%}")
    for name, best in tuned.items():
        print(f"{split} grid: {name} picks alpha {best['alpha']} beta {best['beta']} (WER {best['wer']:.2%}) "
              f"in {seconds[name]:.1f} s")
    print(f"{split} grid: pyctcdecode / ours time = {seconds['pyctcdecode'] / seconds['ours']:.2f}", flush=True)
    return {name: (best["alpha"], best["beta"]) for name, best in tuned.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True, help="a run `asr evaluate` has tuned beam_lm for")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", action="append", help="split(s) to decode (default: dev)")
    parser.add_argument("--lm", help="ARPA file (default: the run's lm_weights.json)")
    parser.add_argument("--alpha", type=float)
    parser.add_argument("--beta", type=float)
    parser.add_argument("--beam-width", type=int)
    parser.add_argument("--grid", action="store_true", help="also tune alpha, beta on the first split with both")
    parser.add_argument("--limit", type=int, help="decode only the first N utterances of each split")
    args = parser.parse_args(argv)
    run = RunLayout(args.run_dir)
    weights = json.loads(run.lm_weights.read_text()) if run.lm_weights.is_file() else {}
    arpa, alpha, beta = args.lm or weights.get("arpa"), args.alpha, args.beta
    alpha = weights.get("alpha", 0.5) if alpha is None else alpha
    beta = weights.get("beta", 1.0) if beta is None else beta
    if arpa is None or not Path(arpa).is_file():
        raise SystemExit(f"{run.lm_weights}: no tuned LM here; pass --lm ARPA")
    apply_thread_defaults()
    import_tensorflow_quietly()
    from asr.evaluation.evaluate_run import decode_split
    from asr.models.model_dir import load_trained_model
    model, info = load_trained_model(run.model.root)
    beam_width = args.beam_width or weights.get("beam_width") or info.decode.beam_width
    decoders = {"ours": LmDecoder(arpa, alpha, beta, beam_width, info.tokenizer),
                "pyctcdecode": PyctcdecodeDecoder(arpa, alpha, beta, beam_width, info.tokenizer)}
    print(f"LM {arpa}", flush=True)
    tuned = None
    for k, split in enumerate(args.split or ["dev"]):
        decoded = decode_split(model, info, DataLayout(args.data_dir), split)
        logits, references = decoded.logits_list()[:args.limit], decoded.references()[:args.limit]
        for decoder in decoders.values():
            decoder.set_weights(alpha, beta)
        compare(decoders, split, logits, references)
        if args.grid and k == 0:
            tuned = grid(decoders, split, logits, references)
        elif tuned:  # the other splits also with each decoder at the weights it chose itself
            for name, decoder in decoders.items():
                decoder.set_weights(*tuned[name])
            compare(decoders, split, logits, references, "each decoder's own tuned weights")

if __name__ == "__main__":
    main()
