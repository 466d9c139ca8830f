#!/usr/bin/python3
"""labhost.py - small traffic helpers for the netmon test lab (tests/lab/netns.sh).

Standard library only; run with Debian's /usr/bin/python3 inside a lab namespace.

  labhost.py udp-echo PORT                 echo UDP datagrams on 0.0.0.0 and :: (runs until killed)
  labhost.py udp-send HOST PORT SPORT N    send N datagrams from SPORT, wait for each echo
  labhost.py flood IF SRCMAC DSTMAC N SIZE
                                           write N UDP/IPv4 frames of SIZE bytes
                                           (10.99.0.1:40100 -> 10.99.0.2:9999) on IF as
                                           fast as possible; print how many were sent
  labhost.py vlan-serve IF VID MAC IP      a user-space host on VLAN VID: answers ARP for IP,
                                           ICMP echo to IP and UDP to port 7 (echo)
  labhost.py vlan-client IF VID MAC IP PEER N
                                           ARP for PEER, then N ICMP echoes and one UDP
                                           datagram to PEER port 7, all tagged with VID

Why a user-space VLAN host: the lab kernel may be built without 802.1Q
(CONFIG_VLAN_8021Q) or bridge VLAN filtering, so tagged frames are written and
read through AF_PACKET sockets here.  Tags of received frames arrive out of
band (the kernel strips them into PACKET_AUXDATA), which is read with recvmsg.

Content is fixed (identifiers, sequence numbers, ports, payloads) so that
repeated recordings differ only in timestamps.
"""
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
ICMP_ECHO_ID = 0x4242          # fixed identifier: recordings stay comparable
UDP_ECHO_PORT = 7
VLAN_CLIENT_SPORT = 40042
REPLY_TIMEOUT = 1.0            # seconds to wait for each answer on the lab link
MAX_FRAMES = 100000            # the server gives up after this many frames (bounded loop)


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, data):
    length = 8 + len(data)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, length)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(pseudo + hdr + data) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, csum) + data


def icmp_echo(icmp_type, ident, seq, data):
    hdr = struct.pack("!BBHHH", icmp_type, 0, 0, ident, seq)
    return struct.pack("!BBHHH", icmp_type, 0, checksum(hdr + data), ident, seq) + data


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, op, sha, socket.inet_aton(spa),
                       tha, socket.inet_aton(tpa))


def tagged(dst, src, vid, ethertype, payload):
    return dst + src + struct.pack("!HHH", ETH_P_8021Q, vid, ethertype) + payload


def open_packet_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, 0))
    return s


def recv_tagged(s, timeout):
    """One received frame as (vid, dst, src, ethertype, payload), or None on timeout.

    vid is None for untagged frames.  Outgoing frames (our own) are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return None
        data, anc, _flags, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        vid = None
        for level, ctype, cdata in anc:
            if level == SOL_PACKET and ctype == PACKET_AUXDATA and len(cdata) >= 20:
                status, _l, _sl, _mac, _net, tci, _tpid = struct.unpack("=IIIHHHH", cdata[:20])
                if status & TP_STATUS_VLAN_VALID:
                    vid = tci & 0x0FFF
        if len(data) < 14:
            continue
        ethertype = struct.unpack("!H", data[12:14])[0]
        payload = data[14:]
        if vid is None and ethertype == ETH_P_8021Q and len(data) >= 18:
            vid = struct.unpack("!H", data[14:16])[0] & 0x0FFF
            ethertype = struct.unpack("!H", data[16:18])[0]
            payload = data[18:]
        return vid, data[0:6], data[6:12], ethertype, payload


def vlan_serve(ifname, vid, mac_text, ip):
    mac = mac_bytes(mac_text)
    myip = socket.inet_aton(ip)
    s = open_packet_socket(ifname)
    ident = 0x1000
    for _ in range(MAX_FRAMES):
        f = recv_tagged(s, 3600.0)
        if f is None or f[0] != vid:
            continue
        _vid, _dst, src, ethertype, p = f
        if ethertype == ETH_P_ARP and len(p) >= 28:
            op = struct.unpack("!H", p[6:8])[0]
            if op == 1 and p[24:28] == myip:
                spa = socket.inet_ntoa(p[14:18])
                s.send(tagged(src, mac, vid, ETH_P_ARP, arp(2, mac, ip, p[8:14], spa)))
            continue
        if ethertype != ETH_P_IP or len(p) < 20 or p[16:20] != myip:
            continue
        ihl = (p[0] & 0x0F) * 4
        total = struct.unpack("!H", p[2:4])[0]
        peer = socket.inet_ntoa(p[12:16])
        body = p[ihl:total]
        if p[9] == 1 and len(body) >= 8 and body[0] == 8:
            eid, seq = struct.unpack("!HH", body[4:8])
            reply = icmp_echo(0, eid, seq, body[8:])
        elif p[9] == 17 and len(body) >= 8:
            sport, dport = struct.unpack("!HH", body[0:4])
            if dport != UDP_ECHO_PORT:
                continue
            reply = udp(ip, peer, dport, sport, body[8:])
        else:
            continue
        ident += 1
        proto = p[9]
        s.send(tagged(src, mac, vid, ETH_P_IP, ipv4(ip, peer, proto, reply, ident)))


def vlan_client(ifname, vid, mac_text, ip, peer, count):
    mac = mac_bytes(mac_text)
    s = open_packet_socket(ifname)
    bcast = b"\xff" * 6
    s.send(tagged(bcast, mac, vid, ETH_P_ARP, arp(1, mac, ip, b"\0" * 6, peer)))
    peer_mac = None
    while peer_mac is None:
        f = recv_tagged(s, REPLY_TIMEOUT)
        if f is None:
            sys.exit("vlan-client: no ARP reply from %s on VLAN %d" % (peer, vid))
        if f[0] == vid and f[3] == ETH_P_ARP and f[4][6:8] == b"\0\2":
            peer_mac = f[4][8:14]
    answered = 0
    ident = 0x2000
    for seq in range(1, count + 2):
        if seq <= count:
            data = bytes(range(0x10, 0x10 + 48))         # fixed 48-byte payload, like ping's
            proto, l4 = 1, icmp_echo(8, ICMP_ECHO_ID, seq, data)
        else:
            proto, l4 = 17, udp(ip, peer, VLAN_CLIENT_SPORT, UDP_ECHO_PORT,
                                b"netmon lab: hello over VLAN 42\n")
        ident += 1
        s.send(tagged(peer_mac, mac, vid, ETH_P_IP, ipv4(ip, peer, proto, l4, ident)))
        while True:
            f = recv_tagged(s, REPLY_TIMEOUT)
            if f is None:
                break
            if f[0] == vid and f[3] == ETH_P_IP and len(f[4]) >= 20 and f[4][9] == proto:
                answered += 1
                break
        time.sleep(0.2)
    if answered != count + 1:
        sys.exit("vlan-client: %d of %d answered" % (answered, count + 1))


def udp_echo(port):
    socks = []
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        socks.append(s)
    for _ in range(MAX_FRAMES):
        for s in select.select(socks, [], [])[0]:
            data, peer = s.recvfrom(65535)
            s.sendto(data, peer)


def udp_send(host, port, sport, count):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", sport))
    s.settimeout(REPLY_TIMEOUT)
    for i in range(1, count + 1):
        msg = b"netmon lab datagram %d of %d\n" % (i, count)
        s.sendto(msg, (host, port))
        try:
            if s.recv(65535) != msg:
                sys.exit("udp-send: echo differs")
        except socket.timeout:
            sys.exit("udp-send: no echo from %s port %d" % (host, port))
        time.sleep(0.1)


def flood(ifname, src_mac, dst_mac, count, size):
    """The drop tests' load: nothing answers (the destination MAC is nobody's,
    so the receiving stack discards the frames), and every frame is the same
    apart from the IP identification and a sequence number in the payload."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    head = mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ETH_P_IP)
    pad = max(0, size - 14 - 20 - 8 - 4)
    sent = 0
    for i in range(count):
        data = struct.pack("!I", i) + b"\0" * pad
        frame = head + ipv4("10.99.0.1", "10.99.0.2", 17,
                            udp("10.99.0.1", "10.99.0.2", 40100, 9999, data), i & 0xffff)
        for _ in range(1000):  # a full device queue says ENOBUFS: retry
            try:
                s.send(frame)
                sent += 1
                break
            except OSError:
                time.sleep(0.001)
    print(sent)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "udp-echo" and len(argv) == 3:
        udp_echo(int(argv[2]))
    elif cmd == "udp-send" and len(argv) == 6:
        udp_send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    elif cmd == "flood" and len(argv) == 7:
        flood(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    elif cmd == "vlan-serve" and len(argv) == 6:
        vlan_serve(argv[2], int(argv[3]), argv[4], argv[5])
    elif cmd == "vlan-client" and len(argv) == 8:
        vlan_client(argv[2], int(argv[3]), argv[4], argv[5], argv[6], int(argv[7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
