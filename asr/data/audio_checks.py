"""Warnings about usable but doubtful audio: clipping, near-silence, channels that cancel when mixed.

They are warnings, not errors: such a file still gives features and a transcript, but a user should know
why its transcript may be poor. LevelCheck takes the file block by block, so long files need no more memory.
"""

import numpy as np

FULL_SCALE = 0.99  # an integer PCM sample this close to ±1 sits at the format's limit (8-bit's is 127/128)
CLIPPED_SHARE = 0.001  # more than 0.1 % of samples at full scale: the recording clipped, not a stray peak
QUIET_DBFS = -50.0  # a peak below this is far under any recording level: a muted or disconnected input
CANCEL_DB = -20.0  # the mono mix this far below its channels: one channel is (nearly) the other inverted


def dbfs(value):
    return 20 * np.log10(max(value, 1e-12))


class LevelCheck:
    """Accumulates level statistics of (N,) or (N, C) float blocks; `warnings()` lists what is doubtful."""

    def __init__(self):
        self.samples = self.clipped = 0
        self.peak = 0.0
        self.channel_energy = self.mix_energy = 0.0

    def add(self, block):
        block = np.asarray(block, dtype=np.float64)
        magnitude = np.abs(block)
        self.samples += block.size
        # at the limit, not beyond: float files may carry levels past ±1 intact (they are not clipped)
        self.clipped += int(np.count_nonzero((magnitude >= FULL_SCALE) & (magnitude <= 1.0)))
        self.peak = max(self.peak, float(magnitude.max(initial=0.0)))
        if block.ndim == 2 and block.shape[1] > 1:
            self.channel_energy += float(np.square(block).mean(axis=1).sum())
            self.mix_energy += float(np.square(block.mean(axis=1)).sum())

    def warnings(self):
        found = []
        if self.samples and self.clipped > CLIPPED_SHARE * self.samples:
            found.append(f"clipped: {100 * self.clipped / self.samples:.1f} % of samples at full scale")
        if self.peak == 0.0:
            found.append("silent: every sample is zero")
        elif dbfs(self.peak) < QUIET_DBFS:
            found.append(f"near-silent: the loudest sample is at {dbfs(self.peak):.0f} dBFS")
        if self.channel_energy > 0 and dbfs(np.sqrt(self.mix_energy / self.channel_energy)) < CANCEL_DB:
            below = -dbfs(np.sqrt(self.mix_energy / self.channel_energy))
            mix = "silent" if below > 120 else f"{below:.0f} dB below them"  # 120 dB: beyond any recording
            found.append(f"channels cancel when mixed to mono (the mix is {mix}; is one channel phase-inverted?)")
        return found


def level_warnings(samples):
    """The warnings of one whole (N,) or (N, C) array."""
    check = LevelCheck()
    check.add(samples)
    return check.warnings()
