"""`orgonaut smtp`: the demo's SMTP server stores what it receives and says where."""

import email
import email.policy
import mailbox
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

from tests.support.processes import ROOT, free_port, wait_for_port


def _message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "alerts@orgonaut.local"
    message["To"] = "owner@acme.test"
    message["Subject"] = f"Alert {n}"
    message["Message-ID"] = f"<alert-{n}@orgonaut.local>"
    message.set_content(f"body {n}")
    return message


def _wait_for_files(directory, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(directory.glob("*.eml"))
        if len(files) >= count:
            return files
        time.sleep(0.05)
    raise TimeoutError(f"{count} .eml files expected in {directory}")


def test_smtp_command_stores_mail_as_eml_and_mbox_and_prints_where(tmp_path):
    port = free_port()
    directory, mbox_path = tmp_path / "mail", tmp_path / "mail.mbox"
    process = subprocess.Popen(
        [sys.executable, "-m", "orgonaut.cli", "smtp", "--port", str(port), "--dir", str(directory),
         "--mbox", str(mbox_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for_port(port)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(_message(1))
            client.send_message(_message(1))  # stored twice: the server shows what it got
            client.send_message(_message(2))
        files = _wait_for_files(directory, 3)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)

    stored = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    assert [m["Message-ID"] for m in stored] == ["<alert-1@orgonaut.local>"] * 2 + ["<alert-2@orgonaut.local>"]
    assert stored[2].get_content().replace("\r\n", "\n") == "body 2\n"  # stored as received
    box = mailbox.mbox(mbox_path)
    assert [m["Subject"] for m in box] == ["Alert 1", "Alert 1", "Alert 2"]
    box.close()
    assert f"SMTP server on 127.0.0.1:{port}; received mail is stored in {directory}/*.eml" in output
    assert f"{mbox_path} (mbox)" in output
    assert f"mail to owner@acme.test: Alert 2 -> {files[2]}" in output
    assert process.returncode == 0


def test_smtp_command_says_when_the_port_is_taken(tmp_path):
    port = free_port()
    first = subprocess.Popen([sys.executable, "-m", "orgonaut.cli", "smtp", "--port", str(port), "--dir",
                              str(tmp_path / "a")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        second = subprocess.run([sys.executable, "-m", "orgonaut.cli", "smtp", "--port", str(port), "--dir",
                                 str(tmp_path / "b")], cwd=ROOT, capture_output=True, text=True, timeout=30)
    finally:
        first.terminate()
        first.wait(10)
    assert second.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in second.stderr
