"""A process's TCP sockets and children, read from /proc the way ``ss -ltnp`` and ``pstree`` do: nothing to
install. Linux only. The tests and the @local scenarios use it to prove where the service listens (FR-001) and
which database connections it holds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TCP_ESTABLISHED = "01"
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class TcpSocket:
    address: str  # dotted IPv4; IPv6 as "::" when unspecified, else /proc's hex
    port: int
    remote_port: int
    state: str  # /proc/net/tcp state code: 01 established, 0A listen
    send_queue: int = 0  # bytes written by the process, not yet acknowledged by the peer (``ss``'s Send-Q)

    @property
    def listening(self) -> bool:
        return self.state == TCP_LISTEN


def tcp_sockets(pid: int) -> list[TcpSocket]:
    """Every IPv4 and IPv6 TCP socket that ``pid`` holds open."""
    return sockets_with_inodes(socket_inodes(pid))


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets ``pid`` holds open (``/proc/<pid>/fd``); OSError once the process is gone."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def sockets_with_inodes(inodes: set[str]) -> list[TcpSocket]:
    """The TCP sockets among ``inodes``. One read of each table: the kernel walks its whole connection hash to write
    it (262,144 buckets on this machine, ~4 ms a table), so callers counting several processes read it once."""
    found = []
    for table, decode in (("/proc/net/tcp", _ipv4), ("/proc/net/tcp6", _ipv6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                address, port = fields[1].split(":")
                found.append(TcpSocket(decode(address), int(port, 16), int(fields[2].split(":")[1], 16), fields[3],
                                       int(fields[4].split(":")[0], 16)))
    return found


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket ``pid`` listens on."""
    return [(sock.address, sock.port) for sock in tcp_sockets(pid) if sock.listening]


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc/<pid>/stat's parent field."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        for child in children(queue.pop()):
            found.append(child)
            queue.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _ipv4(hex_address: str) -> str:
    return ".".join(str(int(hex_address[i:i + 2], 16)) for i in (6, 4, 2, 0))


def _ipv6(hex_address: str) -> str:
    return "::" if set(hex_address) == {"0"} else hex_address
