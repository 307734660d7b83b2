"""Corpus archives: resumable, checksum-verified download and marker-guarded extraction.

`fetch(archive, download_dir, extract_dir)` is all a corpus module needs: it downloads `archive.url` to
`download_dir/<name>.part`, resuming with an HTTP Range request where a previous attempt stopped,
verifies the SHA-256 (or MD5), renames the file into place, and extracts it once (a marker file records
a finished extraction, so an interrupted one is redone). Nothing is downloaded when the marker or the
verified archive is already there.
"""

import hashlib
import logging
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from asr.errors import AsrError
from asr.fileio import write_error, write_text

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Archive:
    """One downloadable file of a corpus and its published checksum (`sha256:<hex>` or `md5:<hex>`)."""
    url: str
    checksum: str

    @property
    def name(self):
        return self.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path, checksum):
    """Raise AsrError unless the file's digest equals `checksum` ("sha256:..." or "md5:...")."""
    algorithm, _, expected = checksum.partition(":")
    actual = file_digest(path, algorithm)
    if actual != expected.lower():
        raise AsrError(f"{path}: {algorithm} checksum mismatch (expected {expected}, got {actual}); "
                       f"the file was removed, run again to download it afresh")


def _open(url, start):
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as e:
        if e.code == 416:  # the partial file is already complete (or larger than the file)
            return None
        raise AsrError(f"{url}: download failed (HTTP {e.code} {e.reason})") from None
    except (urllib.error.URLError, OSError) as e:
        raise AsrError(f"{url}: download failed ({getattr(e, 'reason', e)})") from None


def _opened(part, mode):
    try:
        return open(part, mode)
    except OSError as e:
        raise write_error(part, e) from None


def _append(response, part, start, log):
    """Append the response body to `part` (truncated first when the server ignored the Range)."""
    resumed = start and response.status == 206
    total = response.length + (start if resumed else 0) if response.length else None
    done, last_report = (start if resumed else 0), time.monotonic()
    with _opened(part, "ab" if resumed else "wb") as out:
        for block in iter(lambda: response.read(CHUNK_BYTES), b""):  # its OSErrors are the network's
            try:
                out.write(block)
            except OSError as e:  # the disk's: name the file, not the URL
                raise write_error(part, e) from None
            done += len(block)
            if time.monotonic() - last_report > 10:
                share = f" ({100 * done / total:.0f} %)" if total else ""
                log(f"download: {part.name}: {done / 1e6:.0f} MB{share}")
                last_report = time.monotonic()


def download(archive, download_dir, log=print):
    """download_dir/<archive.name>, downloaded (or resumed) and verified; skipped if already verified."""
    target = Path(download_dir) / archive.name
    if target.is_file():
        return target
    part = target.with_name(target.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    start = part.stat().st_size if part.is_file() else 0
    log(f"download: {archive.url} -> {target}" + (f" (resuming at {start / 1e6:.0f} MB)" if start else ""))
    response = _open(archive.url, start)
    if response is not None:
        with response:
            try:
                _append(response, part, start, log)
            except OSError as e:
                raise AsrError(f"{archive.url}: download interrupted ({e}); run again to resume") from None
    try:
        verify(part, archive.checksum)
    except AsrError:
        part.unlink()
        raise
    part.replace(target)
    return target


def _members_inside(names, dest, archive_path):
    root = Path(dest).resolve()
    for name in names:
        if not (root / name).resolve().is_relative_to(root):
            raise AsrError(f"{archive_path}: member {name!r} would be written outside {dest}")


def extract(archive_path, dest):
    """Unpack a .tar(.gz/.bz2) or .zip archive into dest once; a marker records completion."""
    archive_path, dest = Path(archive_path), Path(dest)
    marker = dest / f".{archive_path.name}.extracted"
    if marker.is_file():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    log.info(f"download: extracting {archive_path.name} into {dest}")
    try:
        if zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as z:
                _members_inside(z.namelist(), dest, archive_path)
                z.extractall(dest)
        else:
            with tarfile.open(archive_path) as tar:
                _members_inside(tar.getnames(), dest, archive_path)
                tar.extractall(dest, filter="data")
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as e:
        raise AsrError(f"{archive_path}: cannot extract ({e})") from None
    write_text(marker, f"{archive_path.name}\n")
    return dest


def fetch(archive, download_dir, extract_dir, log=print):
    """Download (unless extracted before) and extract one archive; returns extract_dir."""
    if (Path(extract_dir) / f".{archive.name}.extracted").is_file():
        log(f"download: {archive.name} already extracted in {extract_dir}")
        return Path(extract_dir)
    return extract(download(archive, download_dir, log), extract_dir)
