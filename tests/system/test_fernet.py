#!/usr/bin/env python3
"""Fernet-authenticated resets (the launcher sets reset.fernet_key to TEST_KEY and loss
0): tokens made by Debian's python3-cryptography are accepted; tampered, expired,
future, replayed, wrong-key and plain requests get no answer and are logged; pdc reset
--fernet-key works, retransmissions included."""
import base64
import socket
import time

from cryptography.fernet import Fernet

from pmutest import *

TEST_KEY = "pmuTestKey0123456789abcdefghijklmnopqrstuvw="  # test-only, in tests/system/CMakeLists.txt


def send(fam, data, wait=1.0):
    with socket.socket(af(fam), socket.SOCK_DGRAM) as s:
        s.settimeout(wait)
        s.sendto(data, (address(fam), 5004))
        try:
            return s.recv(200)
        except socket.timeout:
            return None


def refused(fam, data, reason):
    since = log_size()
    with socket.socket(af(fam), socket.SOCK_DGRAM) as s:
        s.sendto(data, (address(fam), 5004))
        wait_log(r"Fernet token rejected: " + re.escape(reason), since)
        # The device answers in the same step it logs; nothing is on the way.
        s.settimeout(0.3)
        try:
            got = s.recv(200)
        except socket.timeout:
            got = None
    check(got is None, f"{reason}: answered {got!r}")


def main():
    fam = family_from_argv()
    f = Fernet(TEST_KEY.encode())

    token = f.encrypt(b"RESET:100;id=py-" + str(time.monotonic_ns()).encode())
    answer = send(fam, token)
    check(answer and answer.startswith(b"OFFSET="), f"a python3-cryptography token got {answer!r}")

    refused(fam, token, "replayed token")
    tampered = bytearray(f.encrypt(b"RESET:5"))
    tampered[30] = ord("A") if tampered[30] != ord("A") else ord("B")
    refused(fam, bytes(tampered), "bad HMAC")
    refused(fam, Fernet(Fernet.generate_key()).encrypt(b"RESET:5"), "bad HMAC")
    refused(fam, f.encrypt_at_time(b"RESET:5", int(time.time()) - 600), "token expired")
    refused(fam, f.encrypt_at_time(b"RESET:5", int(time.time()) + 600), "token from the future")
    refused(fam, b"RESET:5", "a plain request")
    # The right form and a current time stamp, but a made-up HMAC.
    forged = b"\x80" + int(time.time()).to_bytes(8, "big") + bytes(16 + 16 + 32)
    refused(fam, base64.urlsafe_b64encode(forged), "bad HMAC")
    refused(fam, b"gAAAA" + b"A" * 80, "token is not URL-safe base64")  # 85 characters: no base64 length
    refused(fam, b"#" * 100, "token is not URL-safe base64")
    # A valid token whose plaintext is not a reset request: decrypted, then ignored.
    since = log_size()
    check(send(fam, f.encrypt(b"HELLO"), wait=0.5) is None, "a non-reset plaintext was answered")
    wait_log(r'ignored "HELLO": not a RESET request', since)

    # pdc reset with the key file.
    key_file = os.path.join(os.environ["PMU_WORKDIR"], "fernet.key")
    with open(key_file, "w") as k:
        k.write(TEST_KEY + "\n")
    summary, runs = pdc_json("reset", f"-{fam}", HOST, "50", "--fernet-key", key_file, "--runs", "5", "--wait", "200ms")
    check(summary["runs"] == 5 and len(runs) == 5, f"pdc reset --fernet-key: {summary}")
    r = pdc("reset", f"-{fam}", HOST, "50", "--wait", "100ms", "--max-tries", "3")
    check(r.returncode == 3, "a plain pdc reset was answered by a device that requires Fernet")


run(main)
