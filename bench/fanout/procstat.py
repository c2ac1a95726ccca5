"""CPU and memory readings from /proc: one process (utime+stime, VmRSS) and the whole machine."""
from __future__ import annotations

import os
from dataclasses import dataclass

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def process_cpu_us(pid: int) -> float:
    """User + system CPU of every thread of `pid`, in microseconds."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_US  # utime, stime (fields 14, 15)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@dataclass
class SystemCpu:
    busy_us: float
    softirq_us: float

    @classmethod
    def read(cls) -> "SystemCpu":
        with open("/proc/stat") as fh:
            v = [int(x) for x in fh.readline().split()[1:]]
        idle = v[3] + v[4]  # idle + iowait
        total = sum(v[:8])  # guest time is already counted in user
        return cls(busy_us=(total - idle) * TICK_US, softirq_us=v[6] * TICK_US)

    def __sub__(self, other: "SystemCpu") -> "SystemCpu":
        return SystemCpu(self.busy_us - other.busy_us, self.softirq_us - other.softirq_us)


@dataclass
class Snapshot:
    """CPU of the server, the client and the machine at one instant."""
    server_us: float
    client_us: float
    backend_us: float
    system: SystemCpu

    @classmethod
    def take(cls, server: int, client: int, backend: int) -> "Snapshot":
        return cls(process_cpu_us(server), process_cpu_us(client), process_cpu_us(backend), SystemCpu.read())

    def since(self, before: "Snapshot") -> dict[str, float]:
        d = self.system - before.system
        server = self.server_us - before.server_us
        client = self.client_us - before.client_us
        backend = self.backend_us - before.backend_us
        # what the machine spent outside the benchmark's processes (the host may be shared)
        others = max(0.0, d.busy_us - server - client - backend - d.softirq_us)
        return {"server_cpu_us": server, "client_cpu_us": client, "backend_cpu_us": backend,
                "system_cpu_us": d.busy_us, "softirq_us": d.softirq_us, "others_cpu_us": others}
