"""Streaming latency and speed on a split: how long after a word is spoken it shows, and the final after speech.

Each utterance is streamed in 100 ms pieces on a simulated real-time clock: a piece arrives when its
audio has been spoken, is processed as soon as it has arrived and the piece before is done (the measured
processing time, on this machine), and its events are stamped when its processing ends. Then 1.5 s of
silence follows, as from a live microphone, so the end-point can close the utterance; then the stream ends.

Word ends come from the forced alignment of the reference transcript by an offline model (--align-model,
e.g. the recipe's bidirectional run), so they do not depend on the streaming model's own delays. Printed,
median and 95th percentile over the split:
  word -> partial   from the end of a word to its first appearance in a partial (correctly recognised
                    words: those the final transcript shares with the reference, aligned by jiwer)
  speech -> final   from the end of the last word to the final result carrying it
  RTF               processing seconds per second of audio
  WER               of the streamed finals (the model's own strategy, or --lm; `asr evaluate` gives offline's)

    python tools/bench_streaming.py --model recipes/synth_en/exp/streaming --align-model recipes/synth_en/exp/small \
        --data-dir recipes/synth_en/data/small --split test --utterances 100
"""

import argparse
import time

import jiwer
import numpy as np

from asr.data.manifest import load_manifest
from asr.decoding.word_timing import aligned_word_frames
from asr.inference.stream_sources import PIECE_SECONDS
from asr.inference.streaming import StreamingRecognizer
from asr.inference.transcriber import RUN_LM, Transcriber
from asr.layout import DataLayout
from asr.runtime import apply_thread_defaults

TRAILING_SILENCE_SECONDS = 1.5


def word_ends(aligner, samples, text):
    """End time (s) of each reference word in the aligner's most likely CTC alignment of `text`."""
    (_, features), = aligner.chunks(samples)
    logits, lengths = aligner.predict(features[None], np.array([len(features)]))
    frames = aligned_word_frames(logits[0, :lengths[0]], text, aligner.info.tokenizer)
    return [(last + 1) * aligner.frame_seconds for _, (_, last) in frames]


def stream_on_clock(recognizer, samples):
    """([(stamp seconds, event)], processing seconds) of one utterance streamed on the simulated clock."""
    rate = recognizer.info.features.sample_rate
    size = int(rate * PIECE_SECONDS)
    audio = np.concatenate([samples, np.zeros(int(TRAILING_SILENCE_SECONDS * rate), np.float32)])
    stream, stamped, done, busy = recognizer.new_stream(), [], 0.0, 0.0
    steps = [(s, lambda s=s: stream.accept(audio[s:s + size])) for s in range(0, len(audio), size)]
    for start, work in steps + [(len(audio), stream.finish)]:
        began = time.perf_counter()
        events = work()
        took = time.perf_counter() - began
        done, busy = max(done, min(start + size, len(audio)) / rate) + took, busy + took
        stamped += [(done, e) for e in events]
    return stamped, busy


def appearances(stamped):
    """(final words, first stamp at which each final word stood at its place in the running hypothesis)."""
    history, finals = [], []
    for stamp, event in stamped:
        if event["type"] == "final":
            finals += event["text"].split()
            history.append((stamp, list(finals)))
        else:
            history.append((stamp, finals + event["text"].split()))
    first = [next((t for t, words in history if len(words) > j and words[j] == w), None) for j, w in enumerate(finals)]
    return finals, first


def matched(reference, hypothesis):
    """[(reference index, hypothesis index)] of the words jiwer aligns as equal."""
    pairs = []
    for chunk in jiwer.process_words(reference, hypothesis).alignments[0]:
        if chunk.type == "equal":
            pairs += [(chunk.ref_start_idx + k, chunk.hyp_start_idx + k)
                      for k in range(chunk.ref_end_idx - chunk.ref_start_idx)]
    return pairs


def measure(recognizer, aligner, rows):
    """(word -> partial lags, speech -> final lags, RTF, WER of the streamed finals) over manifest rows."""
    word_lags, final_lags, busy, audio, hypotheses = [], [], 0.0, 0.0, []
    for row in rows:
        samples = aligner.load(row["audio"])
        ends = word_ends(aligner, samples, row["text"])
        stamped, took = stream_on_clock(recognizer, samples)
        busy, audio = busy + took, audio + len(samples) / recognizer.info.features.sample_rate
        words, first = appearances(stamped)
        hypotheses.append(" ".join(words))
        if not words:
            continue
        pairs = matched(row["text"], " ".join(words))
        word_lags += [first[h] - ends[r] for r, h in pairs if first[h] is not None]
        last_final = max(t for t, e in stamped if e["type"] == "final")
        final_lags.append(last_final - ends[-1])
    wer = jiwer.wer([row["text"] for row in rows], hypotheses)
    return np.array(word_lags), np.array(final_lags), busy / audio, wer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="streaming run directory (exported: onnxruntime)")
    parser.add_argument("--align-model", required=True, help="offline run whose alignments give word end times")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--split", default="test")
    parser.add_argument("--utterances", type=int, default=100)
    parser.add_argument("--backend", default="auto", choices=("auto", "onnx", "onnx-int8", "tf"))
    parser.add_argument("--lm", action="store_true", help="finals by beam search with the run's tuned word LM")
    args = parser.parse_args()
    apply_thread_defaults()
    lm = dict(strategy_name="beam_lm", lm=RUN_LM) if args.lm else {}
    recognizer = StreamingRecognizer(args.model, backend=args.backend, **lm)
    aligner = Transcriber(args.align_model)
    rows = load_manifest(DataLayout(args.data_dir).manifest(args.split))[:args.utterances]
    word_lags, final_lags, rtf, wer = measure(recognizer, aligner, rows)
    print(f"{len(rows)} utterances of {args.split}, backend {recognizer.backend}, pieces of {PIECE_SECONDS * 1000:.0f} "
          f"ms, end-point after {recognizer.endpoint_frames * recognizer.frame_seconds:.2f} s of blanks")
    for name, lags in (("word -> partial", word_lags), ("speech -> final", final_lags)):
        if not len(lags):
            print(f"{name:16s} nothing recognised to time")
            continue
        print(f"{name:16s} median {np.median(lags):.3f} s  p95 {np.percentile(lags, 95):.3f} s  "
              f"({len(lags)} {'words' if 'word' in name else 'utterances'})")
    print(f"RTF              {rtf:.4f} (processing seconds per second of audio)")
    print(f"WER              {100 * wer:.2f} % (streamed finals, {recognizer.transcriber.strategy.name})")


if __name__ == "__main__":
    main()
