"""Corpus downloads against a local HTTP server: resume with Range, checksum verification, extraction once."""

import hashlib
import http.server
import tarfile
import threading

import pytest

from asr.errors import AsrError
from data_prep.download import Archive, download, fetch
from data_prep.yesno import prepare_yesno
from tests import corpus_fixtures


class RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves `payloads[path]`, honouring "Range: bytes=N-" like the corpus mirrors do."""
    payloads, requests = {}, []

    def do_GET(self):
        body = self.payloads.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers["Range"] else 0
        self.requests.append((self.path, start))
        if start >= len(body):
            self.send_error(416)
            return
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    RangeHandler.requests.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def yesno_archive(tmp_path):
    corpus_dir, _ = corpus_fixtures.make_yesno(tmp_path / "src")
    archive = tmp_path / "waves_yesno.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(corpus_dir, arcname="waves_yesno")
    return archive.read_bytes()


def test_interrupted_download_resumes_and_is_verified(tmp_path, server):
    body = yesno_archive(tmp_path)
    RangeHandler.payloads["/1/waves_yesno.tar.gz"] = body
    archive = Archive(f"{server}/1/waves_yesno.tar.gz", "sha256:" + hashlib.sha256(body).hexdigest())
    target = tmp_path / "dl"
    target.mkdir()
    (target / "waves_yesno.tar.gz.part").write_bytes(body[:1000])  # what an interrupted attempt left
    path = download(archive, target, log=lambda _: None)
    assert path.read_bytes() == body and RangeHandler.requests == [("/1/waves_yesno.tar.gz", 1000)]
    assert not (target / "waves_yesno.tar.gz.part").exists()
    download(archive, target, log=lambda _: None)  # already verified: no request at all
    assert len(RangeHandler.requests) == 1


def test_checksum_mismatch_removes_the_file(tmp_path, server):
    RangeHandler.payloads["/x.tar.gz"] = b"corrupted bytes"
    archive = Archive(f"{server}/x.tar.gz", "md5:" + "0" * 32)
    with pytest.raises(AsrError, match="md5 checksum mismatch"):
        download(archive, tmp_path, log=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_unreachable_url_is_one_line(tmp_path, server):
    with pytest.raises(AsrError, match=r"missing.tar.gz: download failed \(HTTP 404"):
        download(Archive(f"{server}/missing.tar.gz", "sha256:00"), tmp_path, log=lambda _: None)


def test_fetch_extracts_once_then_prepares(tmp_path, server, capsys):
    body = yesno_archive(tmp_path)
    RangeHandler.payloads["/waves_yesno.tar.gz"] = body
    archive = Archive(f"{server}/waves_yesno.tar.gz", "sha256:" + hashlib.sha256(body).hexdigest())
    root = fetch(archive, tmp_path / "dl", tmp_path / "corpus", log=lambda _: None)
    (tmp_path / "dl" / "waves_yesno.tar.gz").unlink()  # extracted before: the archive is not needed again
    assert fetch(archive, tmp_path / "dl", tmp_path / "corpus", log=print) == root
    assert "already extracted" in capsys.readouterr().out and len(RangeHandler.requests) == 1
    prepare_yesno(root / "waves_yesno", tmp_path / "manifests")
    assert (tmp_path / "manifests" / "test.jsonl").is_file()


def test_archive_escaping_its_folder_is_refused(tmp_path):
    evil = tmp_path / "evil.tar.gz"
    (tmp_path / "payload").write_text("x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(tmp_path / "payload", arcname="../outside")
    from data_prep.download import extract
    with pytest.raises(AsrError, match="outside"):
        extract(evil, tmp_path / "dest")
    assert not (tmp_path / "outside").exists()
