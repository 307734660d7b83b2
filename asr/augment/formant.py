"""Vocal-tract length change with the pitch kept (VTLP-like; Jaitly & Hinton, 2013, warp the filterbank
instead): each STFT frame's spectral envelope, an all-pole (LPC) fit, is stretched along frequency by a
factor while the fine structure under it (the harmonics of the pitch, the noise of fricatives) stays put.

Speed and pitch move the formants and the pitch together, by the same ratio, as a tape played faster does;
speakers differ in both independently (a longer vocal tract lowers every formant, whatever the pitch). A
factor above 1 raises the formants, as a shorter vocal tract does.
"""

import librosa
import numpy as np

from asr.augment.signal import power, rescale
from asr.augment.steps import one_draw_step

FRAME_SECONDS = 0.032  # a few pitch periods of even low voices: the envelope is the vocal tract's, not one pulse's
# added to each frame's power at lag 0 (as a faint white noise would): keeps the fit defined on digital
# silence and its poles off the unit circle
NOISE_FLOOR = 1e-9


def frame_sizes(sample_rate):
    """(n_fft, hop, LPC order) at `sample_rate`: two poles per kHz of bandwidth and four for the glottis and
    the lips, the usual rule, so every formant below Nyquist gets its pair of poles."""
    n_fft = 1 << int(np.ceil(np.log2(FRAME_SECONDS * sample_rate)))
    return n_fft, n_fft // 4, sample_rate // 1000 + 4


def prediction_filters(autocorrelation, order):
    """(≥ order + 1, frames) autocorrelations -> (order + 1, frames) LPC prediction-error filters (first
    coefficient 1), every frame at once by the Levinson-Durbin recursion."""
    lags = np.array(autocorrelation[:order + 1], np.float64)
    lags[0] = lags[0] * (1 + NOISE_FLOOR) + NOISE_FLOOR
    filters = np.zeros_like(lags)
    filters[0] = 1.0
    error = lags[0].copy()
    for i in range(1, order + 1):
        reflection = -np.sum(filters[:i] * lags[i:0:-1], axis=0) / error
        filters[:i + 1] = filters[:i + 1] + reflection * filters[i::-1]
        error = error * (1 - reflection * reflection)
    return filters


def log_envelopes(spectrum, n_fft, order):
    """(bins, frames) STFT -> (bins, frames) natural-log magnitude of each frame's all-pole (LPC) envelope, up
    to a per-frame constant (the fit's gain, which cancels in a ratio of envelopes)."""
    # the windowed frame's autocorrelation from its power spectrum; the lags an LPC fit uses are far shorter
    # than the frame, so the circular wrap-around adds only the window's near-zero ends
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2, n=n_fft, axis=0)
    return -np.log(np.abs(np.fft.rfft(prediction_filters(autocorrelation, order), n=n_fft, axis=0)) + 1e-12)


def stretch_bins(log_envelopes, factor):
    """(bins, frames) -> (bins, frames): the value at bin b moved to bin b * factor (linear interpolation;
    above what the source covers, the top bin's value)."""
    bins = log_envelopes.shape[0]
    source = np.minimum(np.arange(bins) / factor, bins - 1)
    low = np.minimum(source.astype(int), bins - 2)
    weight = (source - low)[:, None]
    return log_envelopes[low] * (1 - weight) + log_envelopes[low + 1] * weight


def warp_formants(samples, factor, sample_rate):
    """(N,) float32 with every formant's frequency times `factor`, pitch, duration and power kept -> (N,)."""
    samples = np.asarray(samples, np.float32)
    n_fft, hop, order = frame_sizes(sample_rate)
    if len(samples) < n_fft or power(samples) == 0.0:
        return samples.copy()
    spectrum = librosa.stft(samples, n_fft=n_fft, hop_length=hop)  # (bins, frames) complex
    envelope = log_envelopes(spectrum, n_fft, order)
    # the envelope divided out and the stretched one put in: the fine structure under it stays where it was
    warped = spectrum * np.exp(stretch_bins(envelope, factor) - envelope)
    out = librosa.istft(warped, hop_length=hop, n_fft=n_fft, length=len(samples))
    # moving the envelope moves energy between bands; the speaker's loudness should not change with it
    return rescale(out.astype(np.float32), power(samples))


def make(section, context):
    return one_draw_step(lambda samples, factor: warp_formants(samples, factor, context.sample_rate),
                         section.factor, "formant x{:.3f}".format)
