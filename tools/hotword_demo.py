"""What hot-words buy and cost on a trained run: beam_lm WER of a split with and without hot-word lists.

Decodes the log-posteriors `asr evaluate` kept (RUN/decode/posteriors/<split>.npz, no TensorFlow needed) with
the run's tuned LM weights, and prints:
  1. examples: utterances whose plain transcript misses a word the LM never saw, decoded again with that one
     word as hot-word;
  2. the split's WER with no list and with three lists, at several weights:
       unseen      the words of the split's references the LM never saw (a user listing the names of a
                   meeting: words that are said),
       rare        the words of the references the LM knows but finds unlikely (unigram log10 P < --rare),
       distractors as many words the LM never saw from another split's references, not said in this one
                   (a list of names nobody says: what boosting costs),
     with, per list, how many of its words' occurrences in the references are recognised and how many times
     its words appear in transcripts where the reference does not have them.

    python tools/hotword_demo.py --run-dir recipes/synth_en/exp/small --data-dir recipes/synth_en/data/small
"""

import argparse
import json
import time
from collections import Counter

import numpy as np

from asr.data.manifest import load_manifest
from asr.decoding.hotwords import DEFAULT_WEIGHT, HotWords
from asr.decoding.lm_beam import LmDecoder
from asr.evaluation.scoring import score
from asr.layout import DataLayout, RunLayout


def load_split(run, data, split):
    """(references, log-posterior arrays) of a split, in manifest order."""
    path = run.posteriors(split)
    if not path.is_file():
        raise SystemExit(f"{path}: not found (run `asr evaluate` on split {split} first)")
    posteriors = np.load(path)
    rows = [row for row in load_manifest(data.manifest(split)) if row["id"] in posteriors]
    return [row["text"] for row in rows], [posteriors[row["id"]].astype(np.float32) for row in rows]


def unseen_words(references, decoder):
    return sorted({w for text in references for w in text.split() if w not in decoder.lm.words})


def rare_words(references, decoder, log10_floor):
    known = {w for text in references for w in text.split() if w in decoder.lm.words}
    return sorted(w for w in known if decoder.lm.model.score(w, bos=False, eos=False) < log10_floor)


def hits_and_false_alarms(words, references, hypotheses):
    """(occurrences of `words` in the references also in the transcript, occurrences in transcripts beyond
    the reference's)."""
    words, hits, false_alarms = set(words), 0, 0
    for ref, hyp in zip(references, hypotheses):
        ref_count = Counter(w for w in ref.split() if w in words)
        hyp_count = Counter(w for w in hyp.split() if w in words)
        hits += sum(min(n, hyp_count[w]) for w, n in ref_count.items())
        false_alarms += sum(max(0, n - ref_count[w]) for w, n in hyp_count.items())
    return hits, false_alarms


def examples(decoder, references, logits, words, count):
    print(f"examples (one hot-word each, weight {DEFAULT_WEIGHT:g}):")
    plain = decoder.decode(logits)
    shown = 0
    for ref, hyp, utterance in zip(references, plain, logits):
        missed = [w for w in ref.split() if w in words and w not in hyp.split()]
        if not missed or shown == count:
            continue
        decoder.hotwords = HotWords({missed[0]: DEFAULT_WEIGHT})
        print(f"  reference  {ref}\n  plain      {hyp}\n  +{missed[0]:<9} {decoder.decode([utterance])[0]}")
        decoder.hotwords, shown = None, shown + 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True, help="a run `asr evaluate` decoded with beam_lm")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--distractor-split", default="dev", help="where the distractors come from (dev)")
    parser.add_argument("--weights", default="2,5,10,20", help="comma-separated hot-word weights (2,5,10,20)")
    parser.add_argument("--rare", type=float, default=-5.0, help="log10 unigram probability below which a "
                        "known word is rare (-5)")
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args(argv)
    run, data = RunLayout(args.run_dir), DataLayout(args.data_dir)
    tuned = json.loads(run.lm_weights.read_text())
    decoder = LmDecoder(tuned["arpa"], tuned["alpha"], tuned["beta"], tuned["beam_width"])
    references, logits = load_split(run, data, args.split)
    said = {w for text in references for w in text.split()}
    unseen = unseen_words(references, decoder)
    others = [w for w in unseen_words(load_split(run, data, args.distractor_split)[0], decoder) if w not in said]
    lists = {"unseen": unseen, "rare": rare_words(references, decoder, args.rare),
             "distractors": others[:len(unseen)]}
    print(f"{args.split}: {len(references)} utterances; LM {tuned['arpa']} alpha {tuned['alpha']} "
          f"beta {tuned['beta']} beam {tuned['beam_width']}; lists: " +
          ", ".join(f"{name} {len(words)} words" for name, words in lists.items()))
    examples(decoder, references, logits, set(unseen), args.examples)
    start = time.perf_counter()
    plain = decoder.decode(logits)
    print(f"no hot-words: WER {score(references, plain)['wer']:.2%} ({time.perf_counter() - start:.1f} s)")
    for name, words in lists.items():
        hits, false_alarms = hits_and_false_alarms(words, references, plain)
        print(f"  {name:<11} weight  0: {hits} of {sum(t.split().count(w) for t in references for w in words)} "
              f"occurrences recognised, {false_alarms} false alarms")
        for weight in map(float, args.weights.split(",")):
            decoder.hotwords = HotWords(dict.fromkeys(words, weight))
            start = time.perf_counter()
            hyps = decoder.decode(logits)
            seconds = time.perf_counter() - start
            hits, false_alarms = hits_and_false_alarms(words, references, hyps)
            print(f"  {name:<11} weight {weight:2g}: WER {score(references, hyps)['wer']:.2%}, {hits} recognised, "
                  f"{false_alarms} false alarms ({seconds:.1f} s)", flush=True)
        decoder.hotwords = None


if __name__ == "__main__":
    main()
