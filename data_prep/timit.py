"""TIMIT (LDC93S1): 630 speakers x 10 sentences, 16 kHz NIST SPHERE, with time-aligned phone labels.

TIMIT is sold by the LDC, so there is no download: point the recipe at your copy (`--data-dir`).
On-disk layout (upper case on the original CD; many copies are lower case, both are accepted):

    TIMIT/TRAIN/DR1/FCJF0/SI1027.WAV    TIMIT/TRAIN/DR1/FCJF0/SI1027.PHN  ("<start> <end> <phone>" lines)

The standard phone-recognition setup: SA sentences (two read by every speaker) are left out; `train` is the
3,696-utterance training set, `dev` the 50-speaker development set (400 utterances) and `test` the
24-speaker core test set (192), both from TEST and speaker-disjoint. The 61 TIMIT phones are folded to the
39 of Lee & Hon (1989) for training and scoring (q removed, closures and pauses to `sil`, runs of `sil` merged),
so the recipe's WER over phone tokens is the phone error rate (PER) papers report.
"""

from pathlib import Path

from asr.errors import AsrError
from asr.fileio import read_utf8_text
from data_prep.corpus import Item, write_corpus

OFFICIAL_COUNTS = {"train": 3696, "dev": 400, "test": 192}
MAX_SECONDS = 15.0
CORE_TEST_SPEAKERS = set(
    "mdab0 mwbt0 felc0 mtas1 mwew0 fpas0 mjmp0 mlnt0 fpkt0 mlll0 mtls0 fjlm0 mbpm0 mklt0 fnlp0 mcmj0 mjdh0 fmgd0 "
    "mgrt0 mnjm0 fdhc0 mjln0 mpam0 fmld0".split())
DEV_SPEAKERS = set(
    "faks0 fdac1 fjem0 mgwt0 mjar0 mmdb1 mmdm2 mpdf0 fcmh0 fkms0 mbdg0 mbwm0 mcsh0 fadg0 fdms0 fedw0 mgjf0 mglb0 "
    "mrtk0 mtaa0 mtdt0 mthc0 mwjg0 fnmr0 frew0 fsem0 mbns0 mmjr0 mdls0 mdlf0 mdvc0 mers0 fmah0 fdrw0 mrcs0 mrjm4 "
    "fcal1 mmwh0 fjsj0 majc0 mjsw0 mreb0 fgjd0 fjmg0 mroa0 mteb0 mjfc0 mrjr0 fmml0 mrws1".split())
# Lee & Hon (1989) folding of the 61 TIMIT phones to 39; phones not listed map to themselves
FOLD_39 = {"ao": "aa", "ax": "ah", "ax-h": "ah", "axr": "er", "hv": "hh", "ix": "ih", "el": "l", "em": "m",
           "en": "n", "nx": "n", "eng": "ng", "zh": "sh", "ux": "uw", "pcl": "sil", "tcl": "sil", "kcl": "sil",
           "bcl": "sil", "dcl": "sil", "gcl": "sil", "h#": "sil", "pau": "sil", "epi": "sil", "q": None}
PHONES_39 = ("aa ae ah aw ay b ch d dh dx eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh sil t th uh uw v w y "
             "z").split()


def fold_phones(phones):
    """TIMIT-61 phone sequence -> space-separated TIMIT-39 sequence (q dropped, repeated sil merged)."""
    folded = []
    for phone in phones:
        phone = FOLD_39.get(phone, phone)
        if phone is None or (phone == "sil" and folded and folded[-1] == "sil"):
            continue
        if phone not in PHONES_39:
            raise AsrError(f"unknown TIMIT phone {phone!r}")
        folded.append(phone)
    return " ".join(folded)


def _set_dir(corpus_dir, name):
    """TRAIN or TEST below corpus_dir (or corpus_dir/TIMIT), in whatever case the copy uses."""
    for base in (Path(corpus_dir), Path(corpus_dir) / "TIMIT", Path(corpus_dir) / "timit"):
        for candidate in (base / name.upper(), base / name.lower()):
            if candidate.is_dir():
                return candidate
    raise AsrError(f"{corpus_dir}: no {name.upper()}/ folder (expected TIMIT/{{TRAIN,TEST}}/DR*/<speaker>/)")


def _phone_file(wav):
    for suffix in (".PHN", ".phn"):
        if wav.with_suffix(suffix).is_file():
            return wav.with_suffix(suffix)
    return None


def utterance_items(set_dir, speakers=None):
    """(items, rejected) for the SI/SX utterances below set_dir (of `speakers` only, if given)."""
    items, rejected = [], []
    for wav in sorted(p for p in set_dir.glob("*/*/*") if p.suffix.upper() == ".WAV"):
        speaker, sentence = wav.parent.name.lower(), wav.stem.lower()
        if sentence.startswith("sa") or (speakers is not None and speaker not in speakers):
            continue
        utt_id, phn = f"{speaker}_{sentence}", _phone_file(wav)
        try:
            if phn is None:
                raise AsrError(f"{wav}: no .PHN file beside it")
            lines = [line.split() for line in read_utf8_text(phn).splitlines() if line.strip()]
            if any(len(fields) != 3 for fields in lines):
                raise AsrError(f"{phn}: expected '<start> <end> <phone>' lines")
            try:
                text = fold_phones(fields[2] for fields in lines)
            except AsrError as e:
                raise AsrError(f"{phn}: {e}") from None
            items.append(Item(utt_id, wav, text, speaker))
        except AsrError as e:
            rejected.append((utt_id, str(e)))
    return items, rejected


def prepare_timit(corpus_dir, out_dir, jobs=None):
    """out_dir/{train,dev,test}.jsonl (phone transcripts) from your copy of TIMIT."""
    test_dir = _set_dir(corpus_dir, "test")
    found = {"train": utterance_items(_set_dir(corpus_dir, "train")),
             "dev": utterance_items(test_dir, DEV_SPEAKERS), "test": utterance_items(test_dir, CORE_TEST_SPEAKERS)}
    items = {split: pair[0] for split, pair in found.items()}
    rejected = {split: pair[1] for split, pair in found.items()}
    return write_corpus("timit", corpus_dir, out_dir, items, OFFICIAL_COUNTS, MAX_SECONDS, jobs, rejected)
