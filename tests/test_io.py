"""anyorder.io: byte-level reading with clear errors, output checks, atomic writes and output locks (issue 18)."""
import os
import threading

import pytest

from anyorder import io
from anyorder.errors import InputError


def test_read_text_accepts_bom_and_names_bad_bytes(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"\xef\xbb\xbfabc\n")
    assert io.read_text(f) == "abc\n"
    f.write_bytes(b"ok\nbad \xff here")
    with pytest.raises(InputError, match=r"a.txt: not UTF-8 text \(byte 0xff at offset 7, line 2\)"):
        io.read_text(f)
    with pytest.raises(InputError, match="does not exist"):
        io.read_text(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="is a directory"):
        io.read_text(tmp_path)


@pytest.mark.parametrize("target, inputs, message", [
    ("nodir/out.txt", [], "does not exist"),
    (".", [], "is a directory"),
    ("in.txt", ["in.txt"], "is also an input"),
    ("afile/out.txt", [], "is not a directory"),
])
def test_check_output_path_errors(tmp_path, target, inputs, message):
    (tmp_path / "in.txt").write_text("x")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match=message):
        io.check_output_path(tmp_path / target, [tmp_path / i for i in inputs])
    assert (tmp_path / "in.txt").read_text() == "x"


def test_check_output_path_same_file_through_another_spelling(tmp_path):
    (tmp_path / "in.txt").write_text("x")
    os.symlink(tmp_path / "in.txt", tmp_path / "link.txt")
    with pytest.raises(InputError, match="also an input"):
        io.check_output_path(tmp_path / "link.txt", [str(tmp_path / "." / "in.txt")])
    assert io.check_output_path(tmp_path / "new.txt", [tmp_path / "in.txt"]) == tmp_path / "new.txt"


def test_check_output_path_unwritable_directory():
    with pytest.raises(InputError):
        io.check_output_path("/proc/anyorder-out.txt")


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    f = tmp_path / "o.txt"
    f.write_text("old")
    io.atomic_write(f, "new\n")
    assert f.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["o.txt"]


def test_atomic_path_failure_keeps_old_file(tmp_path):
    f = tmp_path / "o.txt"
    f.write_text("old")
    with pytest.raises(RuntimeError):
        with io.atomic_path(f) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert f.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["o.txt"]


def test_check_new_path(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="is a file, not a directory"):
        io.check_new_path(tmp_path / "afile" / "sub")
    with pytest.raises(InputError, match="existing file"):
        io.check_new_path(tmp_path / "afile")
    with pytest.raises(InputError, match="already exists"):
        io.check_new_path(tmp_path, allow_existing_dir=False)
    assert io.check_new_path(tmp_path / "a" / "b") == tmp_path / "a" / "b"


def test_output_lock_excludes_a_second_writer(tmp_path):
    target = tmp_path / "o.txt"
    with io.output_lock(target):
        errors = []

        def second():  # another thread = another file descriptor; flock excludes it like another process
            try:
                with io.output_lock(target):
                    pass
            except InputError as e:
                errors.append(str(e))

        t = threading.Thread(target=second)
        t.start()
        t.join()
        assert errors and "being written by another anyorder process" in errors[0]
    with io.output_lock(target):  # released: free again
        pass


def test_read_json_file_names_the_file_and_raises_the_given_error(tmp_path):
    from anyorder.errors import CheckpointError
    from anyorder.io import read_json_file

    file = tmp_path / "config.json"
    with pytest.raises(CheckpointError, match=r"config.json: missing \(no checkpoint\?\)"):
        read_json_file(file, CheckpointError, "no checkpoint?")
    file.write_bytes(b"\xff{}")
    with pytest.raises(CheckpointError, match="config.json: invalid JSON"):
        read_json_file(file, CheckpointError, "x")
    file.write_text("{not json")
    with pytest.raises(InputError, match="config.json: invalid JSON"):
        read_json_file(file, InputError, "x")
    file.write_text('{"a": [1, 2]}')
    assert read_json_file(file, CheckpointError, "x") == {"a": [1, 2]}
