"""The figures of the HTML report, each returned as PNG bytes (matplotlib, no display needed)."""

import numpy as np

from asr.plotting import draw_spectrogram, plt, png_bytes


def training_curves(train_steps, train_loss, epochs):
    """Train loss by step (TensorBoard scalars) beside dev loss and dev WER/CER by epoch (log.csv)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    if len(train_steps):
        left.plot(train_steps, train_loss, lw=0.8, label="train loss (every 10 steps)")
    left.plot(epochs["step"], epochs["dev_loss"], "o-", label="dev loss (end of epoch)")
    left.set(xlabel="step", ylabel="CTC loss per utterance", yscale="log", title="Loss")
    left.legend()
    right.plot(epochs["epoch"], np.array(epochs["dev_wer"]) * 100, "o-", label="dev WER (greedy)")
    right.plot(epochs["epoch"], np.array(epochs["dev_cer"]) * 100, "s-", label="dev CER (greedy)")
    right.set(xlabel="epoch", ylabel="%", title="Dev error rates", xticks=epochs["epoch"])
    right.legend()
    return png_bytes(fig)


def wer_by_length(buckets, wers_by_strategy):
    """Grouped bars: WER of each strategy per reference-length bucket."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    width = 0.8 / max(len(wers_by_strategy), 1)
    x = np.arange(len(buckets))
    for k, (strategy, wers) in enumerate(wers_by_strategy.items()):
        ax.bar(x + k * width, np.array(wers) * 100, width, label=strategy)
    ax.set_xticks(x + width * (len(wers_by_strategy) - 1) / 2, buckets)
    ax.set(xlabel="reference length (words)", ylabel="WER %", title="WER by utterance length")
    ax.legend()
    return png_bytes(fig)


def spectrogram_and_posteriorgram(features, log_posteriors, symbols, hop_seconds, frame_seconds):
    """Log-mel spectrogram above the CTC posteriorgram (P(symbol) per output frame), same time axis."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 1.6]})
    draw_spectrogram(top, features, hop_seconds)
    top.set_title("log-mel spectrogram")
    probs = np.exp(log_posteriors.astype(np.float32)).T  # (V, T')
    bottom.imshow(probs, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
                  extent=(0, len(log_posteriors) * frame_seconds, -0.5, len(symbols) - 0.5))
    bottom.set_yticks(range(len(symbols)), ["blank" if i == 0 else ("␣" if s == " " else s)
                                           for i, s in enumerate(symbols)], fontsize=7)
    bottom.set(xlabel="seconds", title="CTC posteriorgram: which symbol the network emits when")
    return png_bytes(fig)
