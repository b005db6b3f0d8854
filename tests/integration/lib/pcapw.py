# SPDX-License-Identifier: BSD-3-Clause
"""Hand-written test traffic: UDP datagrams in Ethernet/IPv4 frames, into a pcap."""
import struct


def udp_frame(port, payload, sport=40000):
    """One frame from 10.0.0.1:sport to 10.0.0.2:port carrying payload (bytes)."""
    udp = struct.pack('!HHHH', sport, port, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + ip + udp


def write_pcap(path, frames):
    """frames: (capture time in microseconds since the epoch, frame) in order."""
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for us, fr in frames:
            f.write(struct.pack('<IIII', us // 1_000_000, us % 1_000_000, len(fr), len(fr)))
            f.write(fr)
