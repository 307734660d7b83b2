"""What every figure of asr shares (the report's, `asr inspect`'s): matplotlib without a display, a
spectrogram panel, and a figure as PNG bytes."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def png_bytes(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def draw_spectrogram(ax, features, hop_seconds):
    """(T, n_mels) log-mel features on `ax`, time in seconds."""
    ax.imshow(features.T, origin="lower", aspect="auto", extent=(0, len(features) * hop_seconds, 0, features.shape[1]),
              cmap="magma")
    ax.set(ylabel="mel band")
