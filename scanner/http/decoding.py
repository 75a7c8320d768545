"""Content-Encoding decoded in bounded pieces, so a compression bomb cannot stall the loop.

httpx inflates each network chunk whole: 64 KiB of gzip'd zeros become 64 MiB in one call,
hundreds of milliseconds during which no other probe's clock is read — enough to void a whole
probe round (loop-lag limit 100 ms). Here no call produces more than `PIECE` bytes, and
`fetch` yields to the event loop between pieces and stops at its size cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

__all__ = ["PIECE", "BoundedDecoder"]

PIECE = 64 * 1024  # the most one decompression call may produce


class _Inflate:
    """One gzip or deflate layer; deflate accepts zlib-wrapped and raw streams alike."""

    def __init__(self, kind: str):
        self.kind = kind
        wbits = zlib.MAX_WBITS | 16 if kind == "gzip" else zlib.MAX_WBITS
        self.obj = zlib.decompressobj(wbits)
        self.started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            yield from self._feed(data)
        except zlib.error:
            if self.kind != "deflate" or self.started:
                raise
            self.obj = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
            self.started = True
            yield from self._feed(data)

    def _feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self.obj.eof:
            out = self.obj.decompress(data, PIECE)
            data = self.obj.unconsumed_tail
            if out:
                self.started = True
                yield out


class BoundedDecoder:
    """Decodes a body's Content-Encoding layers (identity, gzip, deflate), `PIECE` at a time."""

    def __init__(self, content_encoding: str):
        names = [n.strip().lower() for n in content_encoding.split(",") if n.strip()]
        names = [n for n in names if n != "identity"]
        layers: list[_Inflate] = []
        for name in reversed(names):  # the last encoding applied is undone first
            if name in ("gzip", "x-gzip"):
                layers.append(_Inflate("gzip"))
            elif name == "deflate":
                layers.append(_Inflate("deflate"))
            # Anything else (``utf-8``, ``none`` — real servers send them) is read as-is,
            # as httpx and browsers do.
        self.layers = layers

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of one raw chunk, none longer than `PIECE`."""
        yield from self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.layers):
            for start in range(0, len(data), PIECE):
                yield data[start : start + PIECE]
            return
        for piece in self.layers[index].feed(data):
            yield from self._through(index + 1, piece)
