"""input()/getpass() over the stdin channel (spec: "Messages on the stdin ROUTER/DEALER channel")."""

from __future__ import annotations

import logging

import zmq

from ..wire import FramingError, Message, Session, SignatureError, Signer, decode, encode

log = logging.getLogger("minikernel.stdin")


class Stdin:
    """Owned by the main thread: user code calls request() from there."""

    def __init__(self, socket: zmq.Socket, session: Session, signer: Signer):
        self.socket = socket
        self.session = session
        self.signer = signer

    def request(self, idents: list[bytes], parent: Message, prompt: str, password: bool) -> str:
        self._discard_stale_replies()
        req = self.session.child_of(parent, "input_request", {"prompt": prompt, "password": password})
        self.socket.send_multipart(encode(req, self.signer, idents))
        while True:
            # A short poll keeps SIGINT deliverable as KeyboardInterrupt while we wait.
            if not self.socket.poll(100):
                continue
            try:
                _, reply = decode(self.socket.recv_multipart(), self.signer)
            except (FramingError, SignatureError) as e:
                log.warning("dropped a bad message on stdin: %s", e)
                continue
            if reply.msg_type == "input_reply" and reply.parent_header.get("msg_id") in (req.msg_id, None):
                return str(reply.content.get("value", ""))
            log.warning("ignored unexpected %s on stdin", reply.msg_type)

    def _discard_stale_replies(self) -> None:
        # Replies to a prompt that an interrupt abandoned must not answer the next input().
        while self.socket.poll(0):
            self.socket.recv_multipart()
