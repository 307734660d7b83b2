"""Checks of a whole recipe config that no single key's type, choices or range can make: settings that bound
one another, the synthetic corpus's engines and voices. (Those that ask a stage, such as whether an encoder
streams, are asr.recipe's.)"""

from asr.errors import AsrError


def check_together(config, source):
    """AsrError naming `source` and the settings, unless the RecipeConfig's settings agree with one another."""
    _check_splits(config.splits, source)
    _check_pairs(config, source)
    _check_corpus(config.corpus, source)


def _check_pairs(config, source):
    """The settings that bound one another."""
    c, f = config.corpus, config.features
    pairs = [(c.min_words <= c.max_words, "'corpus.min_words' must not exceed 'corpus.max_words'"),
             (f.win_length <= f.n_fft, "'features.win_length' must not exceed 'features.n_fft'"),
             (f.fmin < f.fmax <= f.sample_rate / 2, "'features.fmin' < 'features.fmax' ≤ half "
                                                   "'features.sample_rate' must hold")]
    noise = config.train.augment.noise
    pairs += [(bool(noise.sources), "'train.augment.noise.sources' must list at least one source"),
              (("folder" in noise.sources) == bool(noise.folder),
               "'train.augment.noise.folder' is given exactly when 'train.augment.noise.sources' lists folder")]
    for ok, problem in pairs:
        if not ok:
            raise AsrError(f"{source}: {problem}")


# Speech engines of the synthetic corpus (data_prep/tts/) and the voices known to each besides espeak-ng's
# accent+variant names. Voices named slt (flite's cmu_us_slt, festival's us_slt) are kept out of this corpus.
# Kokoro's voices are numbered mixtures (corpus.kokoro_voices of each of its two engines: its Japanese packs, its
# English ones); hibari's wheel holds one voice (it downloads others); Pico speaks both of its English voices.
TTS_VOICES = {"espeak-ng": None, "flite": ("kal", "kal16", "awb", "rms"), "festival": ("kal_diphone", "ked_diphone"),
              "kokoro": None, "kokoro-en": None, "hibari": ("heart",), "pico": ("en-US", "en-GB")}
FORBIDDEN_VOICE = "slt"
def _check_corpus(c, source):
    """The engines, voices and prosody intervals of the synthetic corpus."""
    voice_lists = {"accents": c.accents, "variants": c.variants, "flite_voices": c.flite_voices,
                   "festival_voices": c.festival_voices, "hibari_voices": c.hibari_voices}
    for key, voices in voice_lists.items():
        if any(FORBIDDEN_VOICE in str(v) for v in voices):
            raise AsrError(f"{source}: 'corpus.{key}': the {FORBIDDEN_VOICE} voices are kept out of this corpus")
        known = TTS_VOICES.get(key.removesuffix("_voices"))
        if known and not (voices and set(voices) <= set(known)):
            raise AsrError(f"{source}: 'corpus.{key}' must be a non-empty list of {', '.join(known)}, got {voices!r}")
    for engine, share in c.engines.items():
        if engine not in TTS_VOICES or isinstance(share, bool) or not isinstance(share, (int, float)) or share <= 0:
            raise AsrError(f"{source}: 'corpus.engines' maps engines ({', '.join(TTS_VOICES)}) to positive shares, "
                           f"got {engine!r}: {share!r}")
    if not c.engines:
        raise AsrError(f"{source}: 'corpus.engines' must name at least one engine")
    others = [e for e in TTS_VOICES if e != "espeak-ng" and e not in c.engines]  # espeak-ng speaks dev and test
    if c.unseen_engine not in others:
        raise AsrError(f"{source}: 'corpus.unseen_engine' must be an engine outside 'corpus.engines' and not "
                       f"espeak-ng ({', '.join(others) or 'none left'}), got {c.unseen_engine!r}")
    others.remove(c.unseen_engine)
    if c.unseen_neural_sentences and c.unseen_neural_engine not in others:
        raise AsrError(f"{source}: 'corpus.unseen_neural_engine' must be an engine outside 'corpus.engines', not "
                       f"espeak-ng nor 'corpus.unseen_engine' ({', '.join(others) or 'none left'}), "
                       f"got {c.unseen_neural_engine!r}")


def _check_splits(splits, source):
    for name, parts in splits.items():
        if not (isinstance(parts, list) and parts and all(isinstance(p, str) for p in parts)):
            raise AsrError(f"{source}: 'splits.{name}' must be a non-empty list of split names, got {parts!r}")
