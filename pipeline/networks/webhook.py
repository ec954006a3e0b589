"""A generic webhook: a signed JSON POST per part, de-duplicated by its Idempotency-Key.

The receiver's side of the contract (payload, headers, signature, answers) is
docs/networks/webhook.md; change both together.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pipeline import __version__
from pipeline.errors import PipelineError
from pipeline.networks.base import AccountCheck, Capability, Network
from pipeline.networks.delivery import DeliveryError
from pipeline.networks.look import Layout, Look
from pipeline.networks.outbox import part_document
from pipeline.networks.parts import MediaFile, PartRequest, Published, SentPart
from pipeline.times import utc_iso

#: the version of the payload's shape; it changes only when a field changes meaning or goes away
PAYLOAD_VERSION = 1
PUBLISHED_EVENT = "post.published"
RETRACTED_EVENT = "post.retracted"
TIMESTAMP_HEADER = "X-Social-Timestamp"
SIGNATURE_HEADER = "X-Social-Signature"
#: 409 is the receiver saying "I have this key already": the part is out
ACCEPTED = (200, 201, 202, 204, 409)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Social-Signature value: HMAC-SHA256 of `<timestamp>.<body>`, as `sha256=<hex>`."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class Signer:
    """A requests auth hook: signs every attempt afresh.

    Http retries by sending the request again, so each retry carries the same body and
    Idempotency-Key but a new timestamp and signature: a receiver's replay window only
    has to cover clock skew, not our backoff.
    """

    def __init__(self, secret: str, clock: Callable[[], datetime]) -> None:
        self._secret = secret
        self._clock = clock

    def __call__(self, request: Any) -> Any:
        timestamp = str(int(self._clock().timestamp()))
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        request.headers[TIMESTAMP_HEADER] = timestamp
        request.headers[SIGNATURE_HEADER] = signature(self._secret, timestamp, body)
        return request


def media_document(media: MediaFile) -> dict[str, Any]:
    """What a receiver learns about one image: no upload, but enough to find and check it."""
    data = media.content(media.path.name)
    digest, size = hashlib.sha256(data).hexdigest(), len(data)
    return {"path": media.path.name, "alt": media.alt, "width": media.width, "height": media.height,
            "content_type": media.content_type, "bytes": size, "sha256": digest}


class WebhookNetwork(Network):
    name = "webhook"
    title = "Webhook"
    # No RECONCILE: a webhook cannot be asked what it received; resending with the same key is
    # safe instead (see `reconcile`).
    capabilities = frozenset({Capability.PUBLISH, Capability.IMAGES, Capability.ALT_TEXT,
                              Capability.DELETE})
    max_length = 100_000
    hashtags = False
    max_images = 10
    required_credentials = ("url", "secret")
    inbox_note = 'not read: a webhook only sends'
    docs = "networks/webhook.md"
    look = Look(layout=Layout.DATA, marks=frozenset(), link_card=False)

    def check_ready(self) -> None:
        super().check_ready()
        self._url()

    def publish(self, request: PartRequest) -> Published:
        """POST the part as a `post.published` event; a 409 means the receiver has it already."""
        response = self._send(PUBLISHED_EVENT, request.key, self.document(request))
        return self._published(response)

    @classmethod
    def document(cls, request: PartRequest) -> dict:
        """The `data` of a `post.published` event: the part, and each image's size and digest."""
        document = part_document(request, cls.name)
        document["media"] = [media_document(m) for m in request.media]
        return document

    def reconcile(self, request: PartRequest, sent_at: datetime | None) -> Published | None:
        """A webhook cannot be asked what it received.

        It need not be: receivers de-duplicate by Idempotency-Key (the contract), so
        answering "not found" makes the engine send again with the same key, and a
        receiver that has the part answers 409 or its first answer.
        """
        return None

    def check_account(self) -> AccountCheck:
        """No request: a webhook has no call that changes nothing, so only its settings are checked."""
        url = self._url()
        self.credential("secret")
        scheme = url.split("://", 1)[0]
        return AccountCheck(account=f"the receiver in {self.variable('url')} ({scheme})",
                            notes=("not called: a webhook has no request that changes nothing; the "
                                   "next publish run is the real test",))

    def delete(self, part: SentPart) -> None:
        """POST a `post.retracted` event naming the published part."""
        key = part.key or self.new_key(part.post_id, part.number)
        self._send(RETRACTED_EVENT, f"{key}:retract", {
            "post": part.post_id, "channel": part.channel_id, "network": self.name, "part": part.number,
            "key": key, "remote_id": part.remote_id, "url": part.url,
        })

    # -- helpers --------------------------------------------------------------------

    def _url(self) -> str:
        """The URL, with every piece that may be a token registered for masking."""
        url = self.credential("url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PipelineError(f"environment variable {self.variable('url')} does not hold an "
                                f"http(s) URL (credentials.url of channel {self.channel.id!r})",
                                code="credential-invalid")
        # Tokens hide in a path segment, the query or user:password@; the URL as a whole is
        # masked already, but a receiver's error message may quote just one piece.
        segments = [s for s in parts.path.split("/") if len(s) >= 12]
        for piece in (parts.username, parts.password, *segments,
                      *(value for _, value in parse_qsl(parts.query))):
            self.http.secrets.add(piece)
        return url

    def _send(self, event: str, idempotency_key: str, fields: dict[str, Any]) -> Any:
        document = {"event": event, "version": PAYLOAD_VERSION, "idempotency_key": idempotency_key,
                    "sent_at": utc_iso(self.http.clock()), **fields}
        # Built once: every retry of this call sends these exact bytes.
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        url = self._url()
        url_variable, secret_variable = self.variable("url"), self.variable("secret")
        what = f"webhook (the URL in {url_variable})"
        try:
            return self.http.request(
                "POST", url, idempotent=True, what=what, ok=ACCEPTED,
                credential=f"{secret_variable} and {url_variable}",
                data=body, auth=Signer(self.credential("secret"), self.http.clock),
                allow_redirects=False,
                headers={"Content-Type": "application/json", "Accept": "application/json",
                         "Idempotency-Key": idempotency_key,
                         "User-Agent": f"social-media-as-code/{__version__} (webhook)"})
        except DeliveryError as exc:
            if exc.status and 300 <= exc.status < 400:
                raise DeliveryError(f"{what}: answered with a redirect ({exc.status}), which is not "
                                    f"followed; set {url_variable} to the final address",
                                    status=exc.status) from None
            raise

    def _published(self, response: Any) -> Published:
        """The receiver's optional `{"id", "url"}`; anything else in the answer is ignored."""
        try:
            answer = response.json()
        except ValueError:
            answer = None
        answer = answer if isinstance(answer, dict) else {}
        remote_id, url = answer.get("id"), answer.get("url")
        remote_id = str(remote_id) if isinstance(remote_id, str | int) and not isinstance(remote_id, bool) else ""
        # The url becomes a link in `social status` and on the site: http(s) only, and masked
        # in case a receiver echoes the address it was called on.
        url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
        mask = self.http.secrets.mask
        data = {"already_received": True} if response.status_code == 409 else {}
        return Published(remote_id=mask(remote_id) or None, url=mask(url) or None, data=data)
