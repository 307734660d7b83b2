"""Atomic file writing: outputs appear complete or not at all (write to a temp file or directory, then rename).

Every file and directory asr writes goes through `atomic_path` or `atomic_dir`, so this is where a failed
write (disk full, read-only filesystem, no permission) becomes one AsrError naming the output the user
asked for. Here, not in each writer: only here is the destination known when the OS error names a hidden
temp file or nothing at all (a failed write() carries no file name), and here the temp is removed.
"""

import contextlib
import errno
import glob
import json
import os
import re
import secrets
import shutil
from pathlib import Path

from asr.errors import AsrError

_UMASK = os.umask(0)
os.umask(_UMASK)


def printable_path(path):
    """`path` as text that can be printed and put in JSON: bytes of its name that are not UTF-8 (Linux
    allows any) shown as \\xNN instead of the lone surrogates Python decodes them to."""
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


NO_SPACE = os.strerror(errno.ENOSPC)  # "No space left on device", as libraries that lose the errno still say


def no_space(path):
    return AsrError(f"no space left on device: {path}")


def write_error(path, error):
    """The one-line AsrError for an OSError met while writing `path`: a full disk said as such, also when
    the library that failed (h5py) kept only the message."""
    if error.errno == errno.ENOSPC or NO_SPACE in str(error):
        return no_space(path)
    return AsrError(f"{path}: cannot write ({error.strerror or error})")


def _temp_prefix_and_suffix(path):
    # the whole suffix (".weights.h5"), as some writers choose the format by it
    return f".{path.name}.", "".join(path.suffixes)


def _temp_beside(path, suffix):
    """A fresh name for a temp file or directory beside `path`, chosen before anything is made under it: a stop
    (Ctrl-C, a worker's SIGTERM) that lands just after the making still finds it to remove, where with
    tempfile.mkstemp the file exists before its name is returned and a stop in between left it behind."""
    prefix, _ = _temp_prefix_and_suffix(path)
    return path.parent / f"{prefix}{secrets.token_hex(6)}{suffix}"


def _remove_stale(path, suffix):
    """Temp files and directories left beside `path` by a process killed while writing it."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(suffix)}"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds. An OSError
    (in the block too) becomes an AsrError naming `path`; the temporary file never outlives the block."""
    path = Path(path)
    _, suffix = _temp_prefix_and_suffix(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path, suffix)
        tmp = _temp_beside(path, suffix)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        yield tmp
        os.chmod(tmp, 0o666 & ~_UMASK)  # made 0600 as by mkstemp; outputs get the usual permissions
        os.replace(tmp, path)
    except OSError as e:
        raise write_error(path, e) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


@contextlib.contextmanager
def atomic_dir(path):
    """Yield an empty temporary directory beside `path`; it replaces `path` only if the block succeeds, and
    is removed otherwise. OSErrors become an AsrError naming `path`, as in atomic_path."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(path, ".tmp")
        tmp = _temp_beside(path, ".tmp")
        tmp.mkdir(mode=0o700)
        yield tmp
        os.chmod(tmp, 0o777 & ~_UMASK)
        if path.is_dir():  # a directory cannot be renamed onto another: move the old one aside first
            old = tmp.with_suffix(".old.tmp")
            path.rename(old)
            try:
                tmp.rename(path)
            except OSError:
                old.rename(path)  # the old directory goes back: a failed write must not cost what was there
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    except OSError as e:
        raise write_error(path, e) from None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def tensorflow_writing(path):
    """For TensorFlow's own writers (SavedModel, TensorBoard), whose file errors are tf.errors, not OSError:
    the same one line as atomic_path. TensorFlow is imported only here, when such a writer runs."""
    import tensorflow as tf
    try:
        yield
    except (tf.errors.PermissionDeniedError, tf.errors.ResourceExhaustedError, tf.errors.FailedPreconditionError,
            tf.errors.NotFoundError, tf.errors.AlreadyExistsError) as e:
        if NO_SPACE in (e.message or ""):  # its last line, the one shown otherwise, is "Could not initialize..."
            raise no_space(path) from None
        raise AsrError(f"{path}: cannot write ({_tensorflow_reason(e)})") from None


def _tensorflow_reason(error):
    """"/run/tensorboard; Permission denied" out of "{{function_node ...}} /run/tensorboard; Permission
    denied [Op:CreateSummaryFileWriter] name: "."""
    reason = (error.message or type(error).__name__).splitlines()[-1]
    return re.sub(r"\s*\[Op:.*$", "", re.sub(r"^\{\{.*?\}\}\s*", "", reason)) or type(error).__name__


def write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path, data):
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_jsonl(path, rows):
    write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def not_utf8(path, error):
    return AsrError(f"{path}: not UTF-8 text (byte {error.object[error.start]:#04x}); save it as UTF-8")


def read_utf8_text(path):
    """A text file's contents; one that is not UTF-8 is a one-line AsrError naming it (not a traceback)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise not_utf8(path, e) from None


def utf8_lines(path):
    """Yield a text file's lines (newlines kept, for the csv module) without holding the whole file, which
    may be hundreds of megabytes; not UTF-8 is the same one line as read_utf8_text."""
    with open(path, encoding="utf-8", newline="") as f:
        try:
            yield from f
        except UnicodeDecodeError as e:
            raise not_utf8(path, e) from None


def read_jsonl(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise AsrError(f"{path}:{n}: not valid JSON ({e.msg})") from None
    return rows
