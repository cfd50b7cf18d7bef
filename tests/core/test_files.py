"""write_atomic: the one way files are written; a refused write leaves the old file and no temporary one."""
import errno
import os

import pytest

from gans.core import files
from gans.core.errors import UserError
from gans.core.files import WriteFailed, remove_stale_temporaries, write_atomic


def _refuse(monkeypatch, err=errno.ENOSPC):
    def fsync(fd):
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(files.os, "fsync", fsync)


def test_a_full_disk_leaves_the_old_file_no_temporary_and_one_line(tmp_path, monkeypatch):
    target = tmp_path / "eval.json"
    write_atomic(target, lambda f: f.write(b"old"))
    _refuse(monkeypatch)
    with pytest.raises(UserError) as info:
        write_atomic(target, lambda f: f.write(b"new"))
    assert str(info.value) == (f"could not write {target}: No space left on device; free space and run again "
                               "to continue from the last checkpoint")
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC  # callers that can do without it go on
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval.json"]


@pytest.mark.parametrize("err,fix", [(errno.EROFS, "make {} writable"), (errno.EIO, "fix that")])
def test_other_refusals_name_their_cause_and_fix(tmp_path, monkeypatch, err, fix):
    _refuse(monkeypatch, err)
    with pytest.raises(WriteFailed, match=f"could not write .*new.txt: {os.strerror(err)}; {fix.format(tmp_path)} and run"):
        write_atomic(tmp_path / "new.txt", lambda f: f.write(b"x"))
    assert list(tmp_path.iterdir()) == []


def test_an_error_inside_the_writer_is_its_own_and_leaves_nothing(tmp_path):
    def boom(f):
        f.write(b"half")
        raise ValueError("not serializable")

    with pytest.raises(ValueError, match="not serializable"):
        write_atomic(tmp_path / "x.bin", boom)
    assert list(tmp_path.iterdir()) == []


def test_a_refusal_from_the_writer_itself_is_one_line_too(tmp_path):
    import torch

    class Full:  # a file object whose writes the disk refuses, as torch.save meets it
        def __init__(self, f):
            self.f = f

        def write(self, b):
            raise OSError(errno.ENOSPC, "No space left on device")

        def flush(self):
            pass

    with pytest.raises(WriteFailed, match="No space left on device; free space"):
        write_atomic(tmp_path / "ckpt_00000004.pt", lambda f: torch.save({"a": torch.zeros(3)}, Full(f)))
    assert list(tmp_path.iterdir()) == []


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    (tmp_path / ".eval.json.abc123.tmp").write_text("cut off")
    (tmp_path / "eval.json").write_text("{}")
    remove_stale_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["eval.json"]


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_honour_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = write_atomic(tmp_path / "report.html", lambda f: f.write(b"<p>"))
        write_atomic(path, lambda f: f.write(b"<p>again"))  # replacing keeps to the umask too
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
