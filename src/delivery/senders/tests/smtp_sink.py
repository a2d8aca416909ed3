"""A real SMTP server for the e-mail sender's tests (aiosmtpd), on 127.0.0.1.

Usage: smtp_sink.py MODE DIR, MODE being none, starttls or tls. Makes a certificate authority
and a certificate for localhost / 127.0.0.1 with trustme, writes the CA to DIR/ca.pem, prints
"READY <port>", then one JSON line per message received. Scripted answers: a recipient
starting with "reject" gets 550, one starting with "busy" gets 451. With SINK_USER and
SINK_PASSWORD set, logins are checked against them.
"""
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

MODE, DIR = sys.argv[1], sys.argv[2]
USER, PASSWORD = os.environ.get("SINK_USER"), os.environ.get("SINK_PASSWORD")

ca = trustme.CA()
cert = ca.issue_cert("localhost", "127.0.0.1")
ca.cert_pem.write_to_path(os.path.join(DIR, "ca.pem"))
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
cert.configure_cert(context)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        # The strict policy raises on every defect the parser finds, headers included (parsed
        # when read), so a malformed message fails the test that sent it.
        try:
            strict = email.message_from_bytes(envelope.original_content, policy=email.policy.strict)
            for part in strict.walk():
                for _, value in part.items():
                    str(value)
            strict_error = None
        except Exception as e:  # noqa: BLE001 - any defect is reported to the test
            strict_error = f"{type(e).__name__}: {e}"
        parts = [
            {"type": part.get_content_type(), "text": part.get_content()}
            for part in message.walk()
            if not part.is_multipart()
        ]
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": message["subject"],
            "from": message["from"],
            "to": message["to"],
            "event_id": message["x-myget-eventidentifier"],
            "content_type": message.get_content_type(),
            "message_id": message["message-id"],
            "mime_version": message["mime-version"],
            "strict_error": strict_error,
            "parts": parts,
            # aiosmtpd only sets session.ssl after STARTTLS.
            "tls": MODE == "tls" or session.ssl is not None,
            "login": session.auth_data.decode() if isinstance(session.auth_data, bytes) else session.auth_data,
        }
        print(json.dumps(record), flush=True)
        return "250 2.0.0 Ok: queued as TEST123"


def authenticator(server, session, envelope, mechanism, auth_data):
    if (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    ):
        return AuthResult(success=True, auth_data=USER)
    return AuthResult(success=False, handled=False)


def factory():
    kwargs = {"authenticator": authenticator} if USER else {}
    if MODE == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    if MODE == "tls":
        # The whole connection is TLS, which aiosmtpd does not see; allow logins on it.
        kwargs.update(auth_require_tls=False)
    return SMTP(Handler(), hostname="sink.test", **kwargs)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory, host="127.0.0.1", port=0, ssl=context if MODE == "tls" else None
    )
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
