"""The figures of `asr inspect` and of the report's "Inside the model" section, as PNG bytes.

Every time axis is in seconds from the start of the utterance, so a gate map lines up with the
spectrogram and the posteriorgram above it. Units in a heatmap are ordered by when their cell state
(hidden state, for a GRU) peaks in magnitude, so units that react to the same stretch of speech sit
together and the map reads as a diagonal band from the first word to the last.
"""

import numpy as np

from asr.plotting import draw_spectrogram, plt, png_bytes

SHOWN_TRACES = ("input", "forget", "output", "update", "reset", "candidate", "cell")
HEATMAP_LIMITS = {"candidate": (-1, 1), "cell": (-2, 2)}  # gates are [0, 1]


def unit_order(traces):
    """Units sorted by the frame where |cell state| (or |hidden state|) is largest."""
    state = traces.get("cell", traces["hidden"])
    return np.argsort(np.abs(state).argmax(axis=0), kind="stable")


def symbol_label(symbol):
    return "␣" if symbol == " " else symbol


def emissions_axis(ax, log_probs, emitted, symbols, frame_seconds):
    """P(emitted symbol) over time with each emitted symbol written at its frame; blank in grey."""
    times = (np.arange(len(log_probs)) + 0.5) * frame_seconds
    probs = np.exp(log_probs)
    ax.fill_between(times, probs[:, 0], color="0.85", step="mid", label="blank")
    ax.plot(times, 1 - probs[:, 0], color="C0", lw=0.8, drawstyle="steps-mid", label="not blank")
    for frame, token in emitted:
        ax.text(times[frame], 1.04, symbol_label(symbols[token]), ha="center", va="bottom", fontsize=8)
    ax.set(ylim=(0, 1.35), yticks=(0, 0.5, 1), ylabel="P", xlim=(0, len(log_probs) * frame_seconds))
    ax.set_title("CTC output: P(not blank) and the emitted characters", fontsize=9, loc="left")


def gates_figure(inside, recurrences, symbols, emitted, hop_seconds, frame_seconds, names=SHOWN_TRACES):
    """Spectrogram, CTC output, then per direction of one layer the traces `names` it has (gates, candidate,
    cell state)."""
    shown = [(direction, traces, [n for n in names if n in traces]) for direction, traces in recurrences]
    rows = 2 + sum(len(names) for _, _, names in shown)
    fig, axes = plt.subplots(rows, 1, figsize=(11, 1.6 * rows + 1), sharex=True,
                             gridspec_kw={"height_ratios": [1.2, 0.8] + [1] * (rows - 2)})
    draw_spectrogram(axes[0], inside.features, hop_seconds)
    axes[0].set_title("log-mel spectrogram", fontsize=9, loc="left")
    emissions_axis(axes[1], inside.log_probs, emitted, symbols, frame_seconds)
    ax_index = 2
    for direction, traces, names in shown:
        order = unit_order(traces)
        for name in names:
            ax = axes[ax_index]
            low, high = HEATMAP_LIMITS.get(name, (0, 1))
            image = ax.imshow(traces[name][:, order].T, origin="lower", aspect="auto", vmin=low, vmax=high,
                              cmap="RdBu_r" if low < 0 else "viridis",
                              extent=(0, len(traces[name]) * frame_seconds, 0, traces[name].shape[1]))
            ax.set(ylabel="unit")
            ax.set_title(f"{direction}: {name}{' gate' if low == 0 else ''}", fontsize=9, loc="left")
            fig.colorbar(image, ax=ax, pad=0.01, fraction=0.02)
            ax_index += 1
    axes[-1].set(xlabel="seconds")
    return png_bytes(fig)


def context_figure(profiles, emitted, symbols, frame_seconds):
    """Left: gradient norm at the first stage's input frames for each emitted character (rows).
    Right: per stage, the mean normalised profile against the distance from the emitting frame."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1.4, 1]})
    first = profiles[0] / np.maximum(profiles[0].max(axis=1, keepdims=True), 1e-12)
    left.imshow(first, aspect="auto", cmap="Greys", origin="upper",
                extent=(0, first.shape[1] * frame_seconds, len(emitted) - 0.5, -0.5))
    left.scatter([(f + 0.5) * frame_seconds for f, _ in emitted], range(len(emitted)), s=8, color="C3")
    left.set_yticks(range(len(emitted)), [symbol_label(symbols[t]) for _, t in emitted], fontsize=7)
    left.set(xlabel="seconds", ylabel="emitted character",
             title="|∂ log P(char) / ∂ input of layer 1| (red: where it is emitted)")
    for stage, norms in enumerate(profiles):
        width = norms.shape[1]
        offsets = np.arange(-width + 1, width)
        total = np.zeros(len(offsets))
        for row, (frame, _) in zip(norms, emitted):
            total[width - 1 - frame:2 * width - 1 - frame] += row / max(row.sum(), 1e-12)
        right.plot(offsets * frame_seconds, total / len(emitted), label=f"from layer {stage + 1}'s input")
    right.set(xlabel="seconds from the emitting frame (negative: the past)", ylabel="share of gradient",
              yscale="log", title="How far the output looks", xlim=(-1.0, 1.0), ylim=(1e-5, 1))
    right.legend(fontsize=8)
    return png_bytes(fig)


def saliency_figure(normalized, saliencies, hop_seconds):
    """The normalised spectrogram, the summed |gradient × input| of all words, and each word's profile."""
    fig, axes = plt.subplots(3, 1, figsize=(11, 7.5), sharex=True, gridspec_kw={"height_ratios": [1, 1, 0.9]})
    seconds = len(normalized) * hop_seconds
    extent = (0, seconds, 0, normalized.shape[1])
    axes[0].imshow(normalized.T, origin="lower", aspect="auto", extent=extent, cmap="magma")
    axes[0].set(ylabel="mel band", title="log-mel, normalised (CMVN)")
    total = sum(np.abs(s) for _, s in saliencies) if saliencies else np.zeros_like(normalized)
    axes[1].imshow(total.T, origin="lower", aspect="auto", extent=extent, cmap="hot",
                   vmax=np.percentile(total, 99.5) or None)
    axes[1].set(ylabel="mel band", title="|gradient × input|, summed over the emitted words")
    times = (np.arange(len(normalized)) + 0.5) * hop_seconds
    for k, (word, s) in enumerate(saliencies):
        profile = np.abs(s).sum(axis=1)
        axes[2].plot(times, profile, lw=0.9, color=f"C{k % 10}")
        axes[2].text(times[profile.argmax()], profile.max(), word, color=f"C{k % 10}", ha="center", va="bottom",
                     fontsize=8)
    axes[2].set(xlabel="seconds", ylabel="|grad × input|", title="which frames support each word")
    return png_bytes(fig)


def probes_figure(probes):
    """One panel per property: the top units' correlations as horizontal bars."""
    names = [n for n, units in probes.items() if units]
    fig, axes = plt.subplots(1, len(names), figsize=(2.6 * len(names) + 1, 2.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        units = probes[name]
        ax.barh(range(len(units)), [u["r"] for u in units], color=["C0" if u["r"] > 0 else "C3" for u in units])
        ax.set_yticks(range(len(units)), [f"{u['layer']} #{u['unit']}" for u in units], fontsize=7)
        ax.invert_yaxis()
        ax.set(xlim=(-1, 1), title=name, xlabel="Pearson r")
    fig.tight_layout()
    return png_bytes(fig)
