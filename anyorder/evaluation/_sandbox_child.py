"""The process that runs one untrusted program for ``anyorder.evaluation.sandbox`` (standard library only).

Started by the sandbox as ``python -I _sandbox_child.py PROGRAM MEMORY_BYTES CPU_SECONDS FILE_BYTES GUARD`` in a
fresh temporary directory with an empty environment. It

1. reads the program, then enters new network + PID namespaces (``unshare``; as root directly, otherwise inside a
   new user namespace): no network interface but loopback-down, and every process the program starts dies with
   the namespace's first process;
2. forks that first process, which sets resource limits (address space, CPU seconds, file size, open files,
   processes, no core dumps), drops root to ``nobody`` (so the process-count limit applies and files of other
   users are read-only), sets ``PR_SET_PDEATHSIG`` (dies with this runner; set after the uid drop, which clears
   it), optionally disables Python-level
   process / file-deletion / socket functions (``GUARD=1``, defence in depth), and executes the program;
3. exits with the program's status: 0 only when the program ran to its end (``sys.exit`` anywhere, even with 0,
   gives 3). What was isolated is written to ``isolation.txt`` beside the program.
"""
import ctypes
import os
import resource
import signal
import sys
import traceback

CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUSER = 0x40000000, 0x20000000, 0x10000000
PR_SET_PDEATHSIG = 1
NOBODY = 65534
# imported before dropping root: as ``nobody`` the interpreter's standard library may be unreadable (e.g. a Python
# installed under /root); programs under test import from this list (HumanEval uses typing, math, random, copy,
# string, collections, re, hashlib)
PRELOAD = ("typing", "math", "cmath", "random", "copy", "string", "collections", "collections.abc", "re",
           "hashlib", "itertools", "functools", "heapq", "bisect", "operator", "statistics", "fractions", "decimal",
           "datetime", "json", "numbers", "array", "struct", "textwrap", "unicodedata", "enum", "dataclasses", "sys",
           "os", "shutil", "socket", "subprocess", "signal", "time", "traceback", "encodings.idna")
EXITED_EARLY = 3


def _unshare(libc) -> str:
    flags = CLONE_NEWNET | CLONE_NEWPID
    if os.geteuid() != 0:
        flags |= CLONE_NEWUSER
    if libc.unshare(flags) == 0:
        return "namespaces"
    return f"no-namespaces(errno {ctypes.get_errno()})"


def _limits(memory: int, cpu: int, fsize: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (64, 64))


def _drop_root() -> str:
    if os.geteuid() != 0:
        return "user"
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    return "nobody"


def _guard() -> None:
    """Make the usual escape hatches raise (programs under test never need them)."""
    import shutil
    import socket
    import subprocess

    def blocked(*args, **kwargs):
        raise PermissionError("blocked by the anyorder sandbox")

    for name in ("fork", "forkpty", "system", "kill", "killpg", "remove", "unlink", "rmdir", "removedirs", "rename",
                 "renames", "replace", "truncate", "chmod", "chown", "putenv", "unsetenv", "setsid", "execv", "execve",
                 "execvp", "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "posix_spawn",
                 "posix_spawnp", "popen"):
        if hasattr(os, name):
            setattr(os, name, blocked)
    shutil.rmtree = shutil.move = shutil.chown = blocked
    subprocess.Popen = subprocess.run = subprocess.call = subprocess.check_output = blocked
    socket.socket = socket.create_connection = socket.socketpair = blocked


def main() -> None:
    path, memory, cpu, fsize, guard = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    sys.path[:] = [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]  # not the package dir
    with open(path) as f:
        source = f.read()
    libc = ctypes.CDLL(None, use_errno=True)
    isolation = [_unshare(libc)]
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            for name in PRELOAD:
                __import__(name)
            _limits(memory, cpu, fsize)
            isolation.append(_drop_root())
            # after the uid drop: the kernel clears the parent-death signal when the credentials change
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            with open("isolation.txt", "w") as f:
                f.write(" ".join(isolation))
            if guard == "1":
                _guard()
            exec(compile(source, "program.py", "exec"), {"__name__": "__main__"})
        except SystemExit:  # a program that exits before its end (even with status 0) has not passed
            code = EXITED_EARLY
        except BaseException:  # the program's own failure: report it, exit 1
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
