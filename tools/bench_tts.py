"""Speech engine speed: `python tools/bench_tts.py [--sentences 12] [--engines kokoro hibari ...]`.

Prints, for each installed engine of the synthetic corpus (data_prep/tts/), how many times faster than real time
it speaks corpus sentences on one core (its speak_many on jobs as the corpus makes them, the 16-kHz WAVs written
to a scratch folder), with its first call, which loads the engine, timed apart. Plan a corpus with it: hours of
audio / (this figure x cores) is the synthesis's wall time on an otherwise idle machine.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from asr.config import CorpusConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # data_prep/ is the checkout's, never installed
from data_prep.synth_en import engine_voices, speakable_sentences, split_voices, wordnet_sentences  # noqa: E402
from data_prep.tts import ENGINES, speak_chunk  # noqa: E402


def jobs_for(engine, sentences, config, wav_dir):
    """One job per sentence, voices and prosody drawn as the corpus draws them."""
    seen, _ = split_voices(config)
    voices = engine_voices(engine, seen, config)
    jobs = []
    for i, text in enumerate(sentences):
        rng = np.random.default_rng([config.seed, 99, i])
        jobs.append({"id": f"{engine}-{i}", "engine": engine, "voice": voices[rng.integers(len(voices))],
                     "text": text, "wav": str(wav_dir / f"{engine}-{i}.wav"), **ENGINES[engine].prosody(rng, config)})
    return jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=12, help="timed sentences per engine")
    parser.add_argument("--engines", nargs="+", choices=sorted(ENGINES), default=sorted(ENGINES))
    args = parser.parse_args()
    threadpool_limits(1)  # one core, as the corpus runs one worker per core
    config = CorpusConfig()
    sentences = speakable_sentences(wordnet_sentences(), config.min_words, config.max_words)
    picked = [sentences[i] for i in np.random.default_rng(0).permutation(len(sentences))[:args.sentences + 1]]
    print(f"{args.sentences} WordNet sentences per engine (mean {np.mean([len(s.split()) for s in picked]):.1f} words), "
          "one core:")
    for engine in args.engines:
        if not ENGINES[engine].installed():
            print(f"  {engine:10s} not installed ({ENGINES[engine].INSTALL})")
            continue
        with tempfile.TemporaryDirectory(prefix="asr-bench-tts-") as tmp:
            jobs = jobs_for(engine, picked, config, Path(tmp))
            start = time.perf_counter()
            speak_chunk(jobs[:1])  # loads the engine (a model, a voice)
            first = time.perf_counter() - start
            start = time.perf_counter()
            outcomes = speak_chunk(jobs[1:])
            elapsed = time.perf_counter() - start
        audio = sum(o for _, o in outcomes if not isinstance(o, str))
        print(f"  {engine:10s} {audio:6.1f} s of audio in {elapsed:6.2f} s = {audio / elapsed:6.1f}x real time "
              f"(first call {first:.2f} s)")


if __name__ == "__main__":
    main()
