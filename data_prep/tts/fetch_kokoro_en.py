"""Fetch Kokoro's English voice packs (data_prep/tts/kokoro_en.py) into the user's cache, once:

    python -m data_prep.tts.fetch_kokoro_en

pip downloads the sdist of `kokoro` (PyPI, or the index pip is configured with); its sha256 is checked, and
its 27 English packs are unpacked, whole or not at all.
"""

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from asr.errors import AsrError
from data_prep.download import file_digest
from data_prep.tts.kokoro_en import PACKS, SDIST, SDIST_SHA256, SDIST_VOICES, VERSION, pack_path, packs_dir, packs_present


def unpack(sdist, dest):
    """The English packs of the sdist into dest, whole or not at all; an AsrError if the sdist is not the one
    pinned."""
    digest = file_digest(sdist, "sha256")
    if digest != SDIST_SHA256:
        raise AsrError(f"{sdist}: sha256 {digest} is not {SDIST}'s ({SDIST_SHA256})")
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")  # an interrupted unpacking never passes for a finished one
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        for name in PACKS:
            with tar.extractfile(str(pack_path(name, SDIST_VOICES))) as src, open(pack_path(name, part), "wb") as out:
                shutil.copyfileobj(src, out)
    shutil.rmtree(dest, ignore_errors=True)
    part.rename(dest)


def main():
    """Fetch the sdist with pip (PyPI, or the index pip is configured with) and unpack its English packs."""
    if packs_present():
        print(f"kokoro-en: {len(PACKS)} English voice packs already in {packs_dir()}")
        return
    with tempfile.TemporaryDirectory(prefix="asr-kokoro-sdist-") as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        f"kokoro=={VERSION}", "-d", tmp], check=True)
        unpack(Path(tmp) / SDIST, packs_dir())
    print(f"kokoro-en: {len(PACKS)} English voice packs of {SDIST} in {packs_dir()}")


if __name__ == "__main__":
    try:
        main()
    except (AsrError, subprocess.CalledProcessError) as error:
        sys.exit(f"kokoro-en: {error}")
