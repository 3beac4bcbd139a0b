"""Every file dcmfast writes is written atomically (dcmfast._atomic.atomic_file): a failure
in the middle leaves the old file whole and no temporary file; fsync on request; the new
file's permissions are those a plain open() gives (umask, or an existing file's mode).

Run over each writer that goes through the helper: the helper itself, dcmwrite (via
filewriter._write_atomic) and the volume exports (volume._export._atomic_save)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import dcmfast
from dcmfast import filewriter

OLD = b"the old file, whole\n" * 100


def _via_helper(path, parts, **kw):
    from dcmfast._atomic import atomic_file

    with atomic_file(path, **kw) as (f, _):
        for part in parts:
            f.write(part() if callable(part) else part)


def _via_dcmwrite(path, parts, **kw):
    def chunks():
        for part in parts:
            yield part() if callable(part) else part

    filewriter._write_atomic(str(path), chunks(), kw.get("overwrite", True), kw.get("fsync", False))


def _via_volume_export(path, parts, **kw):
    from dcmfast.volume._export import _atomic_save

    def save(tmp):
        with open(tmp, "wb") as f:  # as nibabel / Pillow do: they open the path themselves
            for part in parts:
                f.write(part() if callable(part) else part)

    _atomic_save(path, save, ".nii")


WRITERS = [_via_helper, _via_dcmwrite, _via_volume_export]
IDS = ["helper", "dcmwrite", "volume-export"]


def _boom():
    raise OSError("disk full (simulated)")


def _listing(folder):
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_a_failure_in_the_middle_leaves_the_old_file_and_no_temporary(tmp_path, write):
    target = tmp_path / "out.dcm"
    target.write_bytes(OLD)
    with pytest.raises(OSError, match="simulated"):
        write(target, [b"new bytes " * 1000, _boom, b"never"])
    assert target.read_bytes() == OLD
    assert _listing(tmp_path) == ["out.dcm"]


@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_a_failure_before_the_first_byte_creates_nothing(tmp_path, write):
    target = tmp_path / "new.dcm"
    with pytest.raises(OSError, match="simulated"):
        write(target, [_boom])
    assert _listing(tmp_path) == []


@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_success_replaces_the_content(tmp_path, write):
    target = tmp_path / "out.dcm"
    target.write_bytes(OLD)
    write(target, [b"new ", b"content"])
    assert target.read_bytes() == b"new content"
    assert _listing(tmp_path) == ["out.dcm"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_a_new_file_has_the_mode_open_gives(tmp_path, write, umask):
    """Compared with what open(path, 'wb') gives under the same umask (the oracle)."""
    old = os.umask(umask)
    try:
        with open(tmp_path / "reference", "wb"):
            pass
        write(tmp_path / "out.dcm", [b"x"])
    finally:
        os.umask(old)
    expected = os.stat(tmp_path / "reference").st_mode & 0o7777
    assert os.stat(tmp_path / "out.dcm").st_mode & 0o7777 == expected


@pytest.mark.parametrize("write", WRITERS, ids=IDS)
def test_an_existing_file_keeps_its_mode(tmp_path, write):
    target = tmp_path / "out.dcm"
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    write(target, [b"x"])
    assert os.stat(target).st_mode & 0o7777 == 0o640


def test_an_explicit_mode_wins_whatever_the_umask(tmp_path):
    from dcmfast._atomic import atomic_file

    old = os.umask(0)
    try:
        with atomic_file(tmp_path / "key", mode=0o600) as (f, _):
            f.write(b"secret")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "key").st_mode & 0o7777 == 0o600


@pytest.mark.parametrize("fsync", [True, False])
@pytest.mark.parametrize("write", [_via_helper, _via_dcmwrite], ids=IDS[:2])
def test_fsync_flushes_the_new_file_before_the_rename(tmp_path, monkeypatch, write, fsync):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace

    def spy_fsync(fd):
        calls.append(("fsync", os.fstat(fd).st_size))
        real_fsync(fd)

    def spy_replace(src, dst):
        calls.append(("replace", os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", spy_fsync)
    monkeypatch.setattr(os, "replace", spy_replace)
    write(tmp_path / "out.dcm", [b"12345", b"678"], fsync=fsync)
    expected = [("fsync", 8)] if fsync else []
    assert calls == expected + [("replace", "out.dcm")]


def test_fsync_when_the_writer_closed_the_file(tmp_path, monkeypatch):
    from dcmfast._atomic import atomic_file

    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_size), real(fd)))
    with atomic_file(tmp_path / "out.nii", fsync=True, suffix=".nii") as (f, tmp):
        assert tmp.endswith(".nii")
        f.close()
        with open(tmp, "wb") as g:
            g.write(b"abc")
    assert synced == [3]
    assert (tmp_path / "out.nii").read_bytes() == b"abc"


@pytest.mark.parametrize("write", [_via_helper, _via_dcmwrite], ids=IDS[:2])
def test_no_overwrite_refuses_an_existing_file(tmp_path, write):
    target = tmp_path / "out.dcm"
    target.write_bytes(OLD)
    with pytest.raises(FileExistsError):
        write(target, [b"x"], overwrite=False)
    assert target.read_bytes() == OLD
    write(tmp_path / "fresh.dcm", [b"y"], overwrite=False)
    assert (tmp_path / "fresh.dcm").read_bytes() == b"y"
    assert _listing(tmp_path) == ["fresh.dcm", "out.dcm"]


def test_no_overwrite_loses_a_race_without_touching_the_winner(tmp_path):
    """The target appears while the file is written: the link fails, the winner stays."""
    from dcmfast._atomic import atomic_file

    target = tmp_path / "out.dcm"
    with pytest.raises(FileExistsError):
        with atomic_file(target, overwrite=False) as (f, _):
            f.write(b"mine")
            target.write_bytes(b"theirs")
    assert target.read_bytes() == b"theirs"
    assert _listing(tmp_path) == ["out.dcm"]


def test_a_killed_process_leaves_the_old_file_whole(tmp_path):
    """os._exit in the middle of a dcmwrite (no cleanup runs): the old file is whole; the
    temporary file left is a dot-file ending in .dcmfast-tmp (deid's resume removes them)."""
    target = tmp_path / "out.dcm"
    src = dcmfast.dcmread(_ct_small())
    src.save_as(target)
    before = target.read_bytes()
    code = textwrap.dedent(f"""
        import os, dcmfast
        from dcmfast import filewriter
        ds = dcmfast.dcmread({str(target)!r})
        ds.PatientName = "Changed^Name"
        chunks = filewriter._encode(ds, None, None, False, False, None)
        def dying():
            yield chunks[0]
            os._exit(3)
        filewriter._write_atomic({str(target)!r}, dying(), True, False)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(os.path.dirname(dcmfast.__file__)),
                                                       os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert proc.returncode == 3, proc.stderr.decode()
    assert target.read_bytes() == before
    left = [n for n in _listing(tmp_path) if n != "out.dcm"]
    assert all(n.startswith(".out.dcm.") and n.endswith(".dcmfast-tmp") for n in left), left


def _ct_small():
    from pydicom.data import get_testdata_file

    return get_testdata_file("CT_small.dcm")
