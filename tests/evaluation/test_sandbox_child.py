"""The sandbox's child process (``anyorder/evaluation/_sandbox_child.py``), imported and tested in-process.

Every call that limits, unshares, de-privileges or guards a process runs in a forked child of the test
(``_in_fork``): the child calls the function, checks the effect and reports through its exit status, so the pytest
process itself is never changed. Under mutmut's stats phase the functions the child ran are reported back to the
parent (mutmut records them per process), so mutmut knows these tests cover the file.
"""
from __future__ import annotations

import ctypes
import errno
import faulthandler
import functools
import os
import resource
import signal
import socket
import sys
import textwrap
import traceback

import pytest

from anyorder.evaluation import _sandbox_child as child

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox child is Linux-only (unshare, prctl)")

OK, FAILED, CRASHED = 0, 70, 71
NOBODY = 65534
BLOCKED_OS = ("fork", "forkpty", "system", "kill", "killpg", "remove", "unlink", "rmdir", "removedirs", "rename",
              "renames", "replace", "truncate", "chmod", "chown", "putenv", "unsetenv", "setsid", "execv", "execve",
              "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "posix_spawn",
              "posix_spawnp", "popen")
MESSAGE = "blocked by the anyorder sandbox"


def _mutmut_hits() -> set | None:
    """Functions mutmut's stats phase saw called in this process (None outside mutmut)."""
    if "mutmut" not in sys.modules:
        return None
    from mutmut.state import state

    return state()._stats


def _in_fork(check) -> int:
    """Run ``check()`` in a forked child; return the child's exit code (``check``'s int, 70 on a failed assert,
    71 on another exception, -N when killed by signal N)."""
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = CRASHED
        try:
            os.close(r)
            code = check()
        except AssertionError:
            traceback.print_exc()
            code = FAILED
        except BaseException:
            traceback.print_exc()
            code = CRASHED
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            hits = _mutmut_hits()
            if hits:
                os.write(w, "\n".join(hits).encode())
            os._exit(code if isinstance(code, int) else CRASHED)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    hits = _mutmut_hits()
    if hits is not None and data:
        hits.update(data.decode().split("\n"))
    return os.waitstatus_to_exitcode(status)


@functools.lru_cache(maxsize=None)
def _namespaces_allowed() -> bool:
    """Whether this kernel lets a (root) child enter new network + PID namespaces (checked once)."""
    def check():
        return OK if ctypes.CDLL(None, use_errno=True).unshare(child.CLONE_NEWNET | child.CLONE_NEWPID) == 0 else 1
    return os.geteuid() == 0 and _in_fork(check) == OK


needs_namespaces = pytest.mark.skipif("not _namespaces_allowed()",
                                      reason="needs root and a kernel that allows new network + PID namespaces")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="dropping to nobody needs root")


# ---------------------------------------------------------------------------------------------- _limits


def test_limits_sets_every_rlimit_exactly():
    memory, cpu, fsize = 3 * 2**30 + 4096, 37, 1_234_567

    def check():
        child._limits(memory, cpu, fsize)
        expected = {resource.RLIMIT_AS: memory, resource.RLIMIT_DATA: memory, resource.RLIMIT_CPU: cpu,
                    resource.RLIMIT_FSIZE: fsize, resource.RLIMIT_NOFILE: 64, resource.RLIMIT_CORE: 0,
                    resource.RLIMIT_NPROC: 64}
        for which, value in expected.items():
            assert resource.getrlimit(which) == (value, value), (which, resource.getrlimit(which), value)
        return OK

    assert _in_fork(check) == OK


# ---------------------------------------------------------------------------------------------- _drop_root


@needs_root
def test_drop_root_becomes_nobody_without_groups():
    def check():
        os.setgroups([4, 5])
        assert child._drop_root() == "nobody"
        assert (os.getuid(), os.geteuid(), os.getgid(), os.getegid()) == (NOBODY,) * 4
        assert os.getresuid() == (NOBODY,) * 3 and os.getresgid() == (NOBODY,) * 3
        assert os.getgroups() == []
        return OK

    assert _in_fork(check) == OK


@needs_root
def test_drop_root_as_a_user_changes_nothing():
    def check():
        os.setgid(1234)
        os.setuid(4321)
        assert child._drop_root() == "user"
        assert (os.getuid(), os.geteuid(), os.getgid(), os.getegid()) == (4321, 4321, 1234, 1234)
        return OK

    assert _in_fork(check) == OK


# ---------------------------------------------------------------------------------------------- _guard


def test_guard_blocks_escape_hatches_and_keeps_the_rest(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "f").write_text("keep")

    def check():
        import shutil
        import subprocess

        child._guard()
        calls = [getattr(os, name) for name in BLOCKED_OS if hasattr(os, name)]
        calls += [shutil.rmtree, shutil.move, shutil.chown, subprocess.Popen, subprocess.run, subprocess.call,
                  subprocess.check_output, socket.socket, socket.create_connection, socket.socketpair]
        for fn in calls:
            for args, kwargs in (((), {}), ((str(victim / "f"), 1), {"x": 2})):
                try:
                    fn(*args, **kwargs)
                except PermissionError as e:
                    assert e.args == (MESSAGE,), (fn, e.args)
                else:
                    raise AssertionError(f"{fn} not blocked")
        os.chdir(victim)
        assert os.getcwd() == str(victim)  # not blocked
        assert os.path.exists(victim / "f") and os.listdir(victim) == ["f"]
        assert os.getpid() > 0
        return OK

    assert _in_fork(check) == OK
    assert (victim / "f").read_text() == "keep"


def test_guard_blocks_what_the_docs_name():
    def check():
        import shutil
        import subprocess

        child._guard()
        for fn, args in ((os.remove, ("x",)), (os.system, ("true",)), (subprocess.run, (["true"],)),
                         (socket.socket, ()), (shutil.rmtree, ("/nonexistent",))):
            try:
                fn(*args)
            except PermissionError as e:
                assert str(e) == MESSAGE
            else:
                raise AssertionError(fn)
        assert isinstance(os.getcwd(), str)
        return OK

    assert _in_fork(check) == OK


# ---------------------------------------------------------------------------------------------- _unshare


class FakeLibc:
    def __init__(self, rc: int, err: int = 0):
        self.rc, self.err, self.flags = rc, err, []

    def unshare(self, flags):
        self.flags.append(flags)
        ctypes.set_errno(self.err)
        return self.rc


def test_unshare_flags_and_result_as_root(monkeypatch):  # a fake libc: nothing is unshared here
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    libc = FakeLibc(0)
    assert child._unshare(libc) == "namespaces"
    assert libc.flags == [0x40000000 | 0x20000000]


def test_unshare_as_a_user_adds_a_user_namespace(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    libc = FakeLibc(0)
    assert child._unshare(libc) == "namespaces"
    assert libc.flags == [0x40000000 | 0x20000000 | 0x10000000]


@pytest.mark.parametrize("rc", [-1, 1])
def test_unshare_refused_reports_errno(monkeypatch, rc):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert child._unshare(FakeLibc(rc, errno.EPERM)) == f"no-namespaces(errno {errno.EPERM})"
    assert child._unshare(FakeLibc(rc, errno.ENOSPC)) == f"no-namespaces(errno {errno.ENOSPC})"


@needs_namespaces
def test_unshare_enters_new_network_and_pid_namespaces():
    def check():
        assert child._unshare(ctypes.CDLL(None, use_errno=True)) == "namespaces"
        assert socket.if_nameindex() == [(1, "lo")]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        try:
            s.connect(("127.0.0.1", 9))
        except OSError as e:
            assert e.errno == errno.ENETUNREACH, e
        else:
            raise AssertionError("connected inside the new network namespace")
        pid = os.fork()
        if pid == 0:
            os._exit(0 if os.getpid() == 1 else 1)  # the first process of the new PID namespace
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    assert _in_fork(check) == OK


# ---------------------------------------------------------------------------------------------- main


def _main(tmp_path, program: str, memory=40 * 2**30, cpu=60, fsize=2**30, guard="1", setup=None):
    """Run ``child.main`` in a forked child with cwd ``tmp_path`` and sys.argv set; return (exit code, stdout,
    stderr, isolation.txt or None)."""
    tmp_path.chmod(0o777)  # the program runs as nobody when the tests run as root
    (tmp_path / "program.py").write_text(textwrap.dedent(program))
    out, err = tmp_path.parent / (tmp_path.name + ".out"), tmp_path.parent / (tmp_path.name + ".err")

    def check():
        os.chdir(tmp_path)
        sys.stdout = open(out, "w")
        sys.stderr = open(err, "w")
        sys.argv = ["_sandbox_child.py", str(tmp_path / "program.py"), str(memory), str(cpu), str(fsize), guard]
        if setup is not None:
            setup()
        try:
            child.main()
        except SystemExit as e:
            return e.code
        return 99  # main always exits

    code = _in_fork(check)
    iso = tmp_path / "isolation.txt"
    return code, out.read_text(), err.read_text(), iso.read_text() if iso.exists() else None


def test_main_program_that_ends_passes(tmp_path):
    code, out, err, iso = _main(tmp_path, """
        import ctypes, signal, sys
        assert __name__ == "__main__"
        flag = ctypes.c_int(-1)
        assert ctypes.CDLL(None).prctl(2, ctypes.byref(flag)) == 0  # PR_GET_PDEATHSIG
        assert flag.value == signal.SIGKILL, flag.value
        sys.stdout.write("done, no newline")
    """)
    assert (code, err) == (0, ""), err
    assert out == "done, no newline"
    if _namespaces_allowed():
        assert iso == "namespaces nobody"
    else:
        assert iso.split(" ")[-1] == ("nobody" if os.geteuid() == 0 else "user")


@needs_root
def test_main_isolation_words(tmp_path):
    code, _, err, iso = _main(tmp_path, """
        import os, socket
        assert os.geteuid() == 65534 and os.getegid() == 65534
        if open("isolation.txt").read().startswith("namespaces"):
            assert os.getpid() == 1 and socket.if_nameindex() == [(1, "lo")]
    """)
    assert code == 0, err
    assert iso.split(" ")[1] == "nobody" and len(iso.split(" ")) == 2


def test_main_program_that_raises_fails_with_traceback(tmp_path):
    code, out, err, _ = _main(tmp_path, """
        print("before")
        def f():
            raise ValueError("boom 123")
        f()
    """)
    assert code == 1
    assert out == "before\n"
    assert err.startswith("Traceback (most recent call last):")
    assert 'File "program.py", line 5, in <module>' in err and "ValueError: boom 123" in err


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "sys.exit(1)", "raise SystemExit"])
def test_main_program_that_exits_early_is_not_a_pass(tmp_path, exit_call):
    code, out, err, _ = _main(tmp_path, f"""
        import sys
        print("partial", end="")
        {exit_call}
        print("never")
    """)
    assert code == child.EXITED_EARLY == 3
    assert out == "partial" and err == ""


def test_main_program_killed_by_a_signal(tmp_path):
    code, _, _, _ = _main(tmp_path, """
        import ctypes
        ctypes.string_at(0)  # SIGSEGV from the kernel: delivered even to a PID namespace's first process
    """, guard="0", setup=faulthandler.disable)  # pytest's faulthandler would print a dump
    assert code == 128 + signal.SIGSEGV


def test_main_program_killed_by_the_cpu_limit(tmp_path):
    code, _, _, _ = _main(tmp_path, """
        while True:
            pass
    """, cpu=1)
    assert code == 128 + signal.SIGKILL  # soft == hard CPU limit: the kernel sends SIGKILL at the limit


def test_main_argument_order(tmp_path):
    memory, cpu, fsize = 40 * 2**30 + 8192, 53, 7_654_321
    code, _, err, _ = _main(tmp_path, f"""
        import resource
        assert resource.getrlimit(resource.RLIMIT_AS) == ({memory}, {memory})
        assert resource.getrlimit(resource.RLIMIT_DATA) == ({memory}, {memory})
        assert resource.getrlimit(resource.RLIMIT_CPU) == ({cpu}, {cpu})
        assert resource.getrlimit(resource.RLIMIT_FSIZE) == ({fsize}, {fsize})
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (64, 64)
    """, memory=memory, cpu=cpu, fsize=fsize)
    assert code == 0, err


@pytest.mark.parametrize("guard", ["1", "0", "", "true"])
def test_main_guard_flag(tmp_path, guard):
    code, _, err, _ = _main(tmp_path, """
        import os
        open("scratch", "w").write("x")
        os.remove("scratch")
        assert not os.path.exists("scratch")
    """, guard=guard)
    if guard == "1":
        assert code == 1 and "PermissionError: " + MESSAGE in err
        assert (tmp_path / "scratch").exists()
    else:
        assert code == 0, err
        assert not (tmp_path / "scratch").exists()


def test_main_removes_the_package_dir_from_sys_path(tmp_path):
    pkg_dir = os.path.dirname(os.path.abspath(child.__file__))

    def setup():
        sys.path[:0] = [pkg_dir, "/sentinel/kept", pkg_dir]

    code, _, err, _ = _main(tmp_path, f"""
        import sys
        assert {pkg_dir!r} not in sys.path, sys.path
        assert sys.path[0] == "/sentinel/kept", sys.path
    """, setup=setup)
    assert code == 0, err


def test_main_when_namespaces_are_refused_still_runs_and_says_so(tmp_path):
    real = ctypes.CDLL

    class Refusing:  # a real libc whose unshare gets flags the kernel rejects (EINVAL)
        def __init__(self, libc):
            self._libc = libc

        def unshare(self, flags):
            return self._libc.unshare(-1)

        def __getattr__(self, name):
            return getattr(self._libc, name)

    def setup():
        ctypes.CDLL = lambda *a, **k: Refusing(real(*a, **k))

    code, _, err, iso = _main(tmp_path, "import os\nassert os.getpid() != 1\n", setup=setup)
    assert code == 0, err
    assert iso == f"no-namespaces(errno {errno.EINVAL}) " + ("nobody" if os.geteuid() == 0 else "user")


def test_main_writes_nothing_if_the_program_cannot_be_read(tmp_path):
    def setup():
        os.remove(tmp_path / "program.py")

    code, _, err, iso = _main(tmp_path, "pass\n", setup=setup)
    assert code == CRASHED and "FileNotFoundError" in err
    assert iso is None
