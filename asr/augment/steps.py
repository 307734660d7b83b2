"""What the transforms' steps share: drawing a value from a configured [low, high] range, and the step that
draws one value and applies a function with it (speed, tempo, pitch, formant, gain, clipping)."""


def draw(rng, interval):
    """A value drawn uniformly from [low, high]."""
    low, high = interval
    return float(rng.uniform(low, high))


def one_draw_step(apply, interval, describe):
    """A step (asr.augment.registry) applying `apply(samples, value)` with a value drawn from `interval`;
    `describe(value)` is what it appends to `applied`."""
    def step(samples, rng, applied):
        value = draw(rng, interval)
        applied.append(describe(value))
        return apply(samples, value)
    return step
