#!/usr/bin/env python3
"""Resident memory of a running `sqlenv serve`, idle and with N open WebSocket sessions.

Standard library only: the WebSocket handshake and frames are written by hand (client frames
masked, as RFC 6455 requires). Each session sends a reset and reads its observation, so every
session holds a live episode. Linux only (reads /proc/PID/status).

    target/release/sqlenv serve --port 8000 &
    python3 scripts/measure-rss.py --pid $! --port 8000 --sessions 100 500 1000
"""
import argparse
import base64
import json
import os
import socket
import struct
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def send_text(sock, text):
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(header + mask + masked)


def recv_text(sock):
    while True:
        first, second = read_exact(sock, 2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", read_exact(sock, 2))[0]
        elif length == 127:
            length = struct.unpack(">Q", read_exact(sock, 8))[0]
        payload = read_exact(sock, length)
        if first & 0x0F == 0x1:
            return payload.decode()
        # Pings and other control frames are skipped (the test is short).


def open_session(host, port, seed):
    sock = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    if b" 101 " not in response.split(b"\r\n")[0]:
        raise RuntimeError(response.decode(errors="replace"))
    send_text(sock, json.dumps({"type": "reset", "data": {"seed": seed}}))
    reply = json.loads(recv_text(sock))
    if reply["type"] != "observation":
        raise RuntimeError(reply)
    return sock


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--sessions", type=int, nargs="+", default=[100, 500, 1000])
    args = parser.parse_args()

    time.sleep(0.5)
    print(f"idle: {rss_kib(args.pid) / 1024:.1f} MiB")
    sockets = []
    for target in sorted(args.sessions):
        while len(sockets) < target:
            sockets.append(open_session(args.host, args.port, len(sockets)))
        time.sleep(0.5)
        print(f"{target} open sessions (each after a reset): {rss_kib(args.pid) / 1024:.1f} MiB")
    for sock in sockets:
        sock.close()
    time.sleep(1.0)
    print(f"after closing them: {rss_kib(args.pid) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
