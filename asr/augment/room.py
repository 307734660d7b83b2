"""Room impulse responses of shoebox rooms by the image method (Allen & Berkley, 1979).

Each wall reflection is a mirror-image source; an image n reflections away arrives after its distance / c
with amplitude beta ** n / distance. One absorption for all six walls comes from the requested RT60 by
Sabine's formula. A shoebox with uniform absorption decays more slowly than Sabine says (its field is not
diffuse: images along the longest axis meet fewest walls), by about 1.4x, so the simulated response's decay
is measured and an exponential envelope brings it to the requested RT60.
The images along each axis are independent, so positions and reflection counts are built per axis and
combined by broadcasting: no loop over images.
"""

import numpy as np

SPEED_OF_SOUND = 343.0  # m/s, air at 20 °C
SABINE = 0.161  # s/m: RT60 = SABINE * volume / (surface * absorption)
ROOM_METRES = ((3.0, 10.0), (3.0, 8.0), (2.4, 4.0))  # length, width, height: a box room to a classroom
WALL_MARGIN = 0.5  # metres between the talker or microphone and any wall
# the response is cut where Sabine's decay reaches -45 dB: late enough that what is left under the speech
# is inaudible, early enough to keep the image count (which grows with the length cubed) affordable
CUT_DB = 45.0


def axis_images(length, source, mic, reach):
    """Along one axis: (offsets from the mic (K,), wall reflections (K,)) of the images within `reach`."""
    orders = np.arange(-int(reach // (2 * length)) - 1, int(reach // (2 * length)) + 2)
    offsets, reflections = [], []
    for mirrored in (0, 1):  # the source itself, or its mirror in the wall at 0, repeated every 2 x length
        offsets.append((1 - 2 * mirrored) * source + 2 * orders * length - mic)
        reflections.append(np.abs(orders - mirrored) + np.abs(orders))
    return np.concatenate(offsets), np.concatenate(reflections)


def image_method(room, source, mic, beta, seconds, sample_rate):
    """(taps,) float32 response of a shoebox room, direct path at index 0 with amplitude 1.

    room, source, mic: (3,) metres; beta: wall reflection coefficient; taps = seconds x sample_rate.
    Delays are relative to the direct path (the response starts with it, so convolving keeps the
    speech where its transcript's alignment says); fractional delays are split linearly between taps.
    """
    reach = seconds * SPEED_OF_SOUND + np.linalg.norm(np.subtract(source, mic))
    (dx, rx), (dy, ry), (dz, rz) = (axis_images(room[i], source[i], mic[i], reach) for i in range(3))
    distance = np.sqrt(dx[:, None, None] ** 2 + dy[None, :, None] ** 2 + dz[None, None, :] ** 2)  # (X, Y, Z)
    gain = (beta ** rx)[:, None, None] * (beta ** ry)[None, :, None] * (beta ** rz)[None, None, :]
    direct = distance.min()
    delay = (distance - direct) * (sample_rate / SPEED_OF_SOUND)  # samples after the direct path
    taps = int(seconds * sample_rate)
    keep = delay < taps - 1
    delay, amplitude = delay[keep], (gain * direct / distance)[keep]  # direct path: amplitude 1
    whole = delay.astype(np.int64)
    part = delay - whole
    response = np.bincount(whole, amplitude * (1 - part), taps) + np.bincount(whole + 1, amplitude * part, taps)
    return response.astype(np.float32)


def wall_reflection(room, rt60):
    """The reflection coefficient beta = sqrt(1 - absorption) giving `rt60` seconds by Sabine's formula;
    the absorption is held below 1, so very short RT60s in large rooms come out as long as possible."""
    volume = room[0] * room[1] * room[2]
    surface = 2 * (room[0] * room[1] + room[0] * room[2] + room[1] * room[2])
    absorption = min(SABINE * volume / (surface * rt60), 0.98)
    return float(np.sqrt(1.0 - absorption))


def decay_seconds(response, sample_rate):
    """RT60 of a response from the -5 to -25 dB stretch of its Schroeder curve (T20 x 3); None if it has none."""
    energy = np.cumsum(np.square(response[::-1], dtype=np.float64))[::-1]  # energy still to come at each tap
    curve = 10 * np.log10(np.maximum(energy / energy[0], 1e-30))
    fit = (curve <= -5) & (curve >= -25)
    if fit.sum() < 2:
        return None
    return -60.0 / np.polyfit(np.flatnonzero(fit) / sample_rate, curve[fit], 1)[0]


def match_decay(response, rt60, sample_rate):
    """The response times the exponential that turns its measured decay into `rt60`'s (60 dB per rt60 s)."""
    measured = decay_seconds(response, sample_rate)
    if measured is None or measured <= 0:
        return response
    db_per_second = 60.0 / rt60 - 60.0 / measured  # the extra decay to add (negative: less)
    t = np.arange(len(response)) / sample_rate
    return (response * 10.0 ** (-db_per_second * t / 20.0)).astype(np.float32)


def random_room_response(rng, rt60, sample_rate):
    """(taps,) float32 response of a random room, talker and microphone (all drawn from rng) for `rt60`."""
    room = np.array([rng.uniform(low, high) for low, high in ROOM_METRES])
    source, mic = (rng.uniform(WALL_MARGIN, room - WALL_MARGIN) for _ in range(2))
    seconds = rt60 * CUT_DB / 60.0
    response = image_method(room, source, mic, wall_reflection(room, rt60), seconds, sample_rate)
    for _ in range(2):  # the cut end bends the Schroeder curve: a second pass removes what the first missed
        response = match_decay(response, rt60, sample_rate)
    return response
