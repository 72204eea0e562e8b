#!/usr/bin/env python3
"""studio_latency.py - how fast the studio answers a key while it trains, and what its loop thread costs.

    python3 tests/studio_latency.py <grpo-studio> <config> [--set k=v ...]

Runs the studio in a pseudo-terminal (80 x 24), lets it train, then presses `?` (help opens) and `?` again (help
closes) ten times each, timing from the write of the key to the first byte of the expected text in the terminal
output. Meanwhile it reads the loop thread's CPU time (utime + stime of the main thread, /proc/PID/task/PID/stat)
over a quiet stretch of training. Prints one line per measure; exits 1 when a key takes longer than 50 ms at the
median or the loop thread uses 5% of a core or more. Used by tests/e2e_studio.sh; runnable alone."""
import fcntl, os, pty, select, signal, statistics, struct, sys, termios, time

def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, config, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ.setdefault("LANG", "C.UTF-8")
        os.execv(binary, [binary, "train", config] + extra)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.kill(pid, signal.SIGWINCH)
    buf = bytearray()

    def pump(timeout):
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                return False
            buf.extend(data)
        return True

    def wait_text(text, limit=5.0):
        start = len(buf)
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            if buf.find(text, start) >= 0:
                return True
            pump(0.002)
        return False

    ok = True
    try:
        if not wait_text(b"pause", 30):
            print("FAIL: the studio did not start")
            return 1
        t_end = time.monotonic() + 2           # let it train and draw
        while time.monotonic() < t_end:
            pump(0.01)
        # loop thread CPU over 3 s of training (we keep reading the output so the terminal never blocks it)
        hz = os.sysconf("SC_CLK_TCK")
        def ticks():
            with open(f"/proc/{pid}/task/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        c0, w0 = ticks(), time.monotonic()
        while time.monotonic() - w0 < 3:
            pump(0.01)
        c1, w1 = ticks(), time.monotonic()
        cpu = 100.0 * (c1 - c0) / hz / (w1 - w0)
        print(f"measure: loop thread CPU while training: {cpu:.1f}% of a core")
        if cpu >= 5:
            print("FAIL: the loop thread uses 5% of a core or more")
            ok = False
        opens, closes = [], []
        for _ in range(10):
            t0 = time.monotonic()
            os.write(fd, b"?")
            if not wait_text(b"every key binding"):
                print("FAIL: ? did not open help")
                return 1
            opens.append(1000 * (time.monotonic() - t0))
            t_end = time.monotonic() + 0.1
            while time.monotonic() < t_end:
                pump(0.005)
            t0 = time.monotonic()
            os.write(fd, b"?")
            if not wait_text(b"pause"):
                print("FAIL: ? did not close help")
                return 1
            closes.append(1000 * (time.monotonic() - t0))
            t_end = time.monotonic() + 0.1
            while time.monotonic() < t_end:
                pump(0.005)
        lat = opens + closes
        med, worst = statistics.median(lat), max(lat)
        p90 = sorted(lat)[int(0.9 * len(lat)) - 1]
        print(f"measure: key press to screen: median {med:.1f} ms, 90th percentile {p90:.1f} ms, max {worst:.1f} ms "
              f"over {len(lat)} presses")
        if med > 50:
            print("FAIL: keys take longer than 50 ms to show")
            ok = False
        # quit cleanly: q, y
        os.write(fd, b"q")
        wait_text(b"Quit?", 5)
        os.write(fd, b"y")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            if not pump(0.05):
                break
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                print(f"measure: exit status {code}")
                ok = ok and code == 0
                pid_done = True
                break
        else:
            print("FAIL: the studio did not exit")
            ok = False
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
