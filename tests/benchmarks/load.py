"""wrk: installing it when missing, the Lua scripts for POST bodies, running one cell and reading its report."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

WRK = "wrk"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def log(message: str) -> None:
    """Progress goes to stderr, so that stdout carries only the report."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian's packages when missing (needs root, as on these machines)."""
    found = shutil.which(WRK)
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed and this is not root: run `apt-get install -y wrk` first")
    log("installing wrk (apt-get install -y wrk)")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", WRK]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        log("apt-get install failed; running apt-get update first")
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    found = shutil.which(WRK)
    if not found:
        raise SystemExit("wrk is still missing after apt-get install")
    return found


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal that cannot be closed early by the text."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def post_script(directory: Path, name: str, body: str) -> Path:
    """A wrk script that POSTs the same JSON body on every request."""
    path = directory / f"post_{name}.lua"
    path.write_text(
        f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = {_lua_string(body)}\n',
        encoding="utf-8",
    )
    return path


def rotating_script(directory: Path, name: str, path: str, bodies_file: Path, stop_after: int = 0) -> Path:
    """A wrk script that POSTs the bodies of a file (one JSON per line) in turn, and, when stop_after > 0, stops
    after that many responses (run it with -t1 so the count is global)."""
    script = directory / f"rotate_{name}.lua"
    script.write_text(
        f"local path = {_lua_string(path)}\n"
        f"local stop_after = {stop_after}\n"
        'local headers = {["Content-Type"] = "application/json"}\n'
        "local requests = {}\n"
        f"for line in io.lines({_lua_string(str(bodies_file))}) do\n"
        '  requests[#requests + 1] = wrk.format("POST", path, headers, line)\n'
        "end\n"
        "local next_index = 0\n"
        "local responses = 0\n"
        "request = function()\n"
        "  next_index = next_index % #requests + 1\n"
        "  return requests[next_index]\n"
        "end\n"
        "if stop_after > 0 then\n"
        "  response = function(status, headers, body)\n"
        "    responses = responses + 1\n"
        "    if responses >= stop_after then wrk.thread:stop() end\n"
        "  end\n"
        "end\n",
        encoding="utf-8",
    )
    return script


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int  # connect + read + write + timeout (wrk's timeout is 2 s)
    socket_timeouts: int

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"errors": self.errors}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(report: str) -> WrkResult:
    """Read the text wrk prints with --latency."""

    def find(pattern: str) -> re.Match[str] | None:
        return re.search(pattern, report, re.MULTILINE)

    total = find(r"^\s*(\d+) requests in ([\d.]+\w+),")
    rate = find(r"^Requests/sec:\s*([\d.]+)")
    if not total or not rate:
        raise ValueError(f"unreadable wrk report:\n{report}")
    percentiles = {}
    for percent in ("50", "75", "90", "99"):
        match = find(rf"^\s*{percent}%\s+(\S+)\s*$")
        percentiles[percent] = _duration_ms(match.group(1)) if match else float("nan")
    non_2xx = find(r"Non-2xx or 3xx responses:\s*(\d+)")
    sockets = find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_duration_ms(total.group(2)) / 1e3,
        requests_per_second=float(rate.group(1)),
        p50_ms=percentiles["50"],
        p75_ms=percentiles["75"],
        p90_ms=percentiles["90"],
        p99_ms=percentiles["99"],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        socket_timeouts=int(sockets.group(4)) if sockets else 0,
    )


def run_wrk(wrk: str, url: str, connections: int, seconds: float, script: Path | None = None) -> WrkResult:
    """One cell: `wrk -t1 -c<N> -d<S>s --latency [-s script] url`."""
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} {url} failed:\n{done.stdout}{done.stderr}")
    return parse(done.stdout)


def run_wrk_until(
    wrk: str, url: str, connections: int, script: Path, tick: Callable[[], bool], limit_seconds: float
) -> WrkResult:
    """Run wrk until `tick()` (called about twice a second) says enough, then stop it with SIGINT: wrk still
    prints its report for the time it ran. (A Lua `wrk.thread:stop()` stops sending, but wrk itself waits out
    the whole -d duration and divides by it.)"""
    command = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(limit_seconds))}s", "--latency", "-s", str(script)]
    process = subprocess.Popen([*command, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while process.poll() is None:
            time.sleep(0.5)
            if tick():
                process.send_signal(signal.SIGINT)
                break
        out, err = process.communicate(timeout=60)
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"{' '.join(command)} {url} failed:\n{out}{err}")
    return parse(out)
