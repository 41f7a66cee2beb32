#!/usr/bin/env python3
"""Process runner for the benchmark harness (bench/harness.mjs).

Reads one JSON request per line on stdin: {"cmd", "args", "cwd", "env"}; starts the command with
stdio on /dev/null, waits for it with wait4() and answers one JSON line:
{"wall_ms", "cpu_ms", "code"}. cpu_ms is user+system time of the process and every descendant
it waited for, from the kernel's rusage (microsecond resolution): the cost a command imposes,
which stays meaningful when other work shares the CPUs and stretches wall-clock times.
"""
import json
import os
import sys
import time


def main():
    devnull = os.open(os.devnull, os.O_RDWR)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        argv = [req["cmd"], *req.get("args", [])]
        env = req.get("env") or dict(os.environ)
        cwd = req.get("cwd") or os.getcwd()
        t0 = time.perf_counter_ns()
        pid = os.fork()
        if pid == 0:
            try:
                os.chdir(cwd)
                os.dup2(devnull, 0)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                os.execvpe(argv[0], argv, env)
            except BaseException:
                os._exit(127)
        _, status, ru = os.wait4(pid, 0)
        wall = (time.perf_counter_ns() - t0) / 1e6
        code = os.waitstatus_to_exitcode(status)
        cpu = (ru.ru_utime + ru.ru_stime) * 1000.0
        sys.stdout.write(json.dumps({"wall_ms": wall, "cpu_ms": cpu, "code": code}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
