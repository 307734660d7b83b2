"""Miniature copies of the real corpora in their exact on-disk layouts, each with one broken audio file.

Every `make_<corpus>(root)` returns the folder `prepare_<corpus>` reads and the id of the broken item.
Audio is a short tone in the corpus's own format, sample rate and container.
"""

import numpy as np
import soundfile as sf

from data_prep.ljspeech import split_of


def tone(path, seconds=0.6, rate=16000, fmt=None, subtype=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = 0.1 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * rate)) / rate)
    sf.write(str(path), samples, rate, format=fmt, subtype=subtype)


def make_librispeech(root):
    """LibriSpeech/{dev-clean,train-clean-100}/<spk>/<chapter>/ with .trans.txt and .flac; one broken flac."""
    chapters = {("dev-clean", "1272", "128104"): ["MISTER QUILTER IS THE APOSTLE", "NOR IS MISTER QUILTER'S MANNER"],
                ("train-clean-100", "103", "1240"): ["CHAPTER ONE MISSUS RACHEL LYNDE IS SURPRISED",
                                                     "THAT HAD ITS SOURCE AWAY BACK", "BROKEN"]}
    for (part, spk, chapter), texts in chapters.items():
        folder = root / "LibriSpeech" / part / spk / chapter
        lines = []
        for i, text in enumerate(texts):
            utt = f"{spk}-{chapter}-{i:04d}"
            lines.append(f"{utt} {text}")
            if text == "BROKEN":
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{utt}.flac").write_bytes(b"fLaC\x00\x00\x00\x22" + bytes(40))  # header, no frames
            else:
                tone(folder / f"{utt}.flac", fmt="FLAC")
        (folder / f"{spk}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    return root / "LibriSpeech", "103-1240-0002"


def _ljspeech_ids():
    """Clip ids in LJ's pattern with two in train, one in dev, one in test (by data_prep.ljspeech.split_of)."""
    wanted, chosen = {"train": 3, "dev": 1, "test": 1}, []
    for n in range(1, 2000):
        clip = f"LJ001-{n:04d}"
        if wanted[split_of(clip)]:
            wanted[split_of(clip)] -= 1
            chosen.append(clip)
        if not any(wanted.values()):
            return chosen
    raise AssertionError("no ids found for every split")


def make_ljspeech(root):
    """LJSpeech-1.1/metadata.csv (id|raw|normalized) + wavs/*.wav at 22.05 kHz; one truncated WAV."""
    folder = root / "LJSpeech-1.1"
    ids = _ljspeech_ids()
    lines = []
    for i, clip in enumerate(ids):
        lines.append(f"{clip}|Printing, in the only sense with which we are at present concerned, {i}|"
                     f"Printing, in the only sense with which we are at present concerned, number {i}")
        tone(folder / "wavs" / f"{clip}.wav", rate=22050, subtype="PCM_16")
    broken = next(c for c in ids if split_of(c) == "train")
    wav = folder / "wavs" / f"{broken}.wav"
    wav.write_bytes(wav.read_bytes()[:30])  # cut inside the RIFF header
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, broken


CV_HEADER = ("client_id\tpath\tsentence_id\tsentence\tsentence_domain\tup_votes\tdown_votes\tage\tgender\t"
             "accents\tvariant\tlocale\tsegment")


def make_common_voice(root):
    """cv-corpus-<ver>/en/{train,dev,test}.tsv + clips/*.mp3; one broken mp3, one voted-down row, one with digits."""
    folder = root / "cv-corpus-17.0-2024-03-15" / "en"
    rows = {"train": [("a1", 1, "The quick brown fox jumps.", 2, 0), ("a2", 2, "Broken clip here.", 2, 0),
                      ("a3", 3, "Nobody liked this one.", 1, 2), ("a4", 4, "Room 101 is empty.", 3, 0),
                      ("b1", 5, "She sells sea shells.", 2, 1)],
             "dev": [("c1", 6, "How are you today?", 2, 0)], "test": [("d1", 7, "It's a lovely day.", 3, 0)]}
    for split, split_rows in rows.items():
        lines = [CV_HEADER]
        for client, n, sentence, up, down in split_rows:
            clip = f"common_voice_en_{n}.mp3"
            lines.append(f"{client * 8}\t{clip}\tsid{n}\t{sentence}\t\t{up}\t{down}\tthirties\t\t\t\ten\t")
            if n == 2:
                (folder / "clips").mkdir(parents=True, exist_ok=True)
                (folder / "clips" / clip).write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 200)
            else:
                tone(folder / "clips" / clip, rate=48000, fmt="MP3")
        (folder / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, "common_voice_en_2"


PHN = "0 2000 h#\n2000 2600 bcl\n2600 3000 b\n3000 4600 ix\n4600 5000 q\n5000 7000 ax-h\n7000 9600 h#\n"


def make_timit(root):
    """TIMIT/{TRAIN,TEST}/DR*/<SPEAKER>/*.WAV (NIST SPHERE) + .PHN; SA files, a non-core speaker, a broken WAV."""
    utterances = [("TRAIN", "DR1", "FCJF0", "SI1027"), ("TRAIN", "DR1", "FCJF0", "SA1"),
                  ("TRAIN", "DR2", "MRFK0", "SX16"), ("TRAIN", "DR2", "MRFK0", "SI1276"),
                  ("TEST", "DR1", "FAKS0", "SX43"),   # development speaker
                  ("TEST", "DR1", "MDAB0", "SI1039"),  # core test speaker
                  ("TEST", "DR4", "MKCL0", "SX11")]    # neither: not in any split
    for part, region, speaker, sentence in utterances:
        folder = root / "TIMIT" / part / region / speaker
        tone(folder / f"{sentence}.WAV", fmt="NIST", subtype="PCM_16")
        (folder / f"{sentence}.PHN").write_text(PHN)
    (root / "TIMIT" / "TRAIN" / "DR2" / "MRFK0" / "SI1276.WAV").write_bytes(b"NIST_1A\n   1024\nend_head\n")
    return root / "TIMIT", "mrfk0_si1276"


def make_an4(root):
    """an4/etc/an4_{train,test}.{fileids,transcription} + wav/an4{,test}_clstk/<spk>/*.sph; one broken .sph."""
    folder = root / "an4"
    sets = {"train": ("an4_clstk", [("fash", "an251-fash-b", "YES"), ("fbbh", "an76-fbbh-b", "ENTER SIX TWO FIVE"),
                                    ("fclc", "cen1-fclc-b", "RUBOUT G M E F THREE NINE"),
                                    ("fejs", "an36-fejs-b", "NO"), ("fhes", "cen2-fhes-b", "TWELVE"),
                                    ("fkai", "an101-fkai-b", "GO")]),
            "test": ("an4test_clstk", [("fcaw", "an406-fcaw-b", "RUBOUT N Y H SIX")])}
    for split, (audio_dir, utterances) in sets.items():
        fileids, transcription = [], []
        for speaker, utt, text in utterances:
            fileids.append(f"{audio_dir}/{speaker}/{utt}")
            transcription.append(f"<s> {text} </s> ({utt})")
            tone(folder / "wav" / audio_dir / speaker / f"{utt}.sph", fmt="NIST", subtype="PCM_16")
        (folder / "etc").mkdir(parents=True, exist_ok=True)
        (folder / "etc" / f"an4_{split}.fileids").write_text("\n".join(fileids) + "\n")
        (folder / "etc" / f"an4_{split}.transcription").write_text("\n".join(transcription) + "\n")
    (folder / "wav" / "an4_clstk" / "fbbh" / "an76-fbbh-b.sph").write_bytes(b"not a sphere file at all")
    return folder, "an76-fbbh-b"


def make_yesno(root, files=12):
    """waves_yesno/<8 binary digits joined by _>.wav at 8 kHz; one file of zero samples."""
    folder = root / "waves_yesno"
    names = ["_".join(format(n * 37 % 256, "08b")) for n in range(files)]
    for name in names:
        tone(folder / f"{name}.wav", seconds=1.0, rate=8000, subtype="PCM_16")
    broken = sorted(names)[0]  # position 0: a training file
    sf.write(str(folder / f"{broken}.wav"), np.zeros(0), 8000, subtype="PCM_16")
    (folder / "README").write_text("yes/no recordings\n")
    return folder, broken
