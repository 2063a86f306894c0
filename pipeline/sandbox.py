"""Child processes for work that may run away: a PDF parse, a PDF check.

Each call runs in a forked child, bounded in time (killed after `time_limit` seconds) and in
memory (its address space capped with `setrlimit(RLIMIT_AS)`), and it must never outlive the
run that started it: a `kill -9` of the parent must leave no child holding the run lock or
blocked writing to a pipe nobody reads (the next night's run would find the lock held forever).
So the child, before it does anything else:

- closes the descriptors it inherited and does not need: every run-lock descriptor (an flock
  is held as long as any process has it open) and the parent's ends of the result pipes;
- asks the kernel to SIGKILL it when its parent dies (`PR_SET_PDEATHSIG`, Linux), and checks
  the parent is still the one that forked it (it may have died before the request), and keeps
  checking from a watchdog thread (on every platform);
- writes its result to a pipe whose reading end it does not hold, so a dead parent makes the
  write fail at once (EPIPE) instead of blocking.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import threading
import time

DOCUMENT_TIME_LIMIT = 120.0  # seconds one document's extraction may take before it is stopped (`--time-limit`)
MEMORY_LIMIT_MB = 2048  # address space one child may add to what it inherited (`--memory-limit`); 0 = none
PARENT_CHECK_SECONDS = 0.5  # how often the watchdog thread checks the parent is alive
_PR_SET_PDEATHSIG = 1

# Descriptors a child must close first: the run lock's (see `pipeline.workspace.Workspace.lock`).
inherited_locks: set[int] = set()


def die_with_parent(parent_pid: int) -> None:
    """Make the calling (child) process exit when `parent_pid` is no longer its parent."""
    if sys.platform.startswith("linux"):
        # (The signal follows the thread that forked: call run_bounded from a thread that
        # outlives its children, as the CLI's main thread does.)
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)  # 9 = SIGKILL
        except (OSError, AttributeError):
            pass  # no prctl: the watchdog below still ends the child
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def mapped_bytes() -> int:
    """The address space this process has mapped now (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def limit_memory(megabytes: int) -> None:
    """Cap the address space at what the forked child inherited plus `megabytes`, so a
    decompression bomb ends in MemoryError, not in the OOM killer. (Counted from what is already
    mapped: a parent that has loaded pyarrow and pandas maps several hundred MB it never touches.)"""
    if megabytes > 0:
        limit = mapped_bytes() + megabytes * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(func, args, connection, parent_pid: int, parent_fds: list[int], memory_mb: int) -> None:
    die_with_parent(parent_pid)
    for fd in (*inherited_locks, *parent_fds):
        try:
            os.close(fd)
        except OSError:
            pass
    inherited_locks.clear()
    limit_memory(memory_mb)
    started = time.perf_counter()
    try:
        output = func(*args)
    except MemoryError:
        output = {"error": f"{args[2]}: the extraction needed more than the {memory_mb:,} MB memory limit"
                           " (--memory-limit); stopped (a decompression bomb?)"}
    output["seconds"] = round(time.perf_counter() - started, 3)
    try:
        connection.send(output)
        connection.close()
    except (OSError, MemoryError):  # the parent is gone (EPIPE) or the result is too big to send
        os._exit(1)


def run_bounded(func, calls: list[tuple], *, jobs: int, time_limit: float, memory_mb: int = MEMORY_LIMIT_MB,
                progress=None, after_first_forks=None, after_last_fork=None, on_result=None) -> list[dict]:
    """Run `func(*call)` for each call in forked child processes, `jobs` at a time, and kill any
    that runs past `time_limit` seconds (a PDF that makes the parser run away); each child's
    address space is capped at `memory_mb`. `call[2]` names the file in messages. Results come
    back in call order whatever order they finish in, so parallel output equals serial output.
    `on_result(index, result)` is called as each result arrives (the parent's share of a
    document's work, done while the other children run, the next ones already started).

    Two hooks give the parent work to do beside its children; neither runs without a child.
    `after_last_fork()` is called once every child is started and a core is free of them: the
    place for work the parent may do in a thread while it waits (not earlier: a fork while
    another thread runs could copy a lock it holds into the child; and a busy core would only be
    taken from a worker). `after_first_forks()` is called once, in this thread, as soon as the
    first `jobs` children are started, before any result is collected: the place for work the
    parent must do anyway when its workers take every core (no child is forked meanwhile, and
    none could be before one of the first finishes)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    results: list[dict | None] = [None] * len(calls)
    pending = list(enumerate(calls))
    running: dict[int, tuple] = {}

    def start_children() -> None:
        nonlocal after_last_fork
        while pending and len(running) < max(1, jobs):
            index, call = pending.pop(0)
            receiver, sender = context.Pipe(duplex=False)
            parent_fds = [receiver.fileno(), *(r.fileno() for _, r, _ in running.values())]
            process = context.Process(target=_child, daemon=True,
                                      args=(func, call, sender, os.getpid(), parent_fds, memory_mb))
            process.start()
            sender.close()
            running[index] = (process, receiver, time.monotonic() + time_limit)
        if after_last_fork is not None and running and not pending and len(running) < (os.cpu_count() or 1):
            after_last_fork()
            after_last_fork = None

    start_children()
    if after_first_forks is not None and running:  # nothing to extract: nothing to load beside it
        after_first_forks()
    while running:
        finished = [index for index, child in list(running.items()) if _collect(index, child, calls, results,
                                                                                time_limit, memory_mb)]
        if not finished:
            time.sleep(0.005)
            continue
        for index in finished:
            running.pop(index)[1].close()
        # The cores the finished children leave take the next documents before the parent does
        # its share of the results: with one job, the worker never waits for the parent.
        start_children()
        for index in finished:
            if on_result is not None:
                try:
                    on_result(index, results[index])
                except BaseException:  # (a full disk): no child is left running behind the error
                    for process_, receiver_, _ in running.values():
                        process_.kill()
                        process_.join()
                        receiver_.close()
                    raise
            if progress is not None:
                progress(sum(r is not None for r in results), len(calls), calls[index][2])
    return results  # type: ignore[return-value]


def _collect(index: int, child: tuple, calls: list[tuple], results: list, time_limit: float,
             memory_mb: int) -> bool:
    """Whether child `index` is done: its result (or what stopped it) put in `results`."""
    process, receiver, deadline = child
    if receiver.poll():
        try:
            results[index] = receiver.recv()
        except EOFError:
            results[index] = {"error": f"{calls[index][2]}: the extractor process died"}
        process.join()
    elif not process.is_alive():
        process.join()
        results[index] = {"error": _death_message(calls[index][2], process.exitcode, memory_mb)}
    elif time.monotonic() > deadline:
        process.kill()
        process.join()
        results[index] = {"error": f"{calls[index][2]}: extraction took longer than the {time_limit:g}s"
                                   " limit per document; stopped (a layout that makes the parser run away?)"}
    else:
        return False
    return True


def _death_message(source_file: str, exit_code: int | None, memory_mb: int) -> str:
    message = f"{source_file}: the extractor process died (exit code {exit_code})"
    if memory_mb > 0:
        message += f"; it may have run out of its {memory_mb:,} MB memory limit (--memory-limit)"
    return message
