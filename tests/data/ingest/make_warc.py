"""Regenerate sample.warc.gz from the two benchmark pages beside it (run once, committed).

The WARC holds a request, two HTML responses and one image response, so readers are
tested on record filtering, target URIs and crawl dates that must not become dates.
"""

from __future__ import annotations

import gzip
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HERE = Path(__file__).resolve().parent


def main() -> None:
    pages = [
        ("https://www.nbcnews.com/news/world/house-hitler-was-born-will-become-police-station-austria-says-n1086531",
         (HERE / "nbc_hitler.html").read_bytes()),
        ("https://www.sciencealert.com/we-finally-have-a-global-geological-map-of-saturn-s-moon-titan",
         gzip.decompress((HERE / "reuters_titan.html.gz").read_bytes())),
    ]
    with (HERE / "sample.warc.gz").open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        date = "2023-03-01T12:00:00Z"  # crawl date, deliberately unlike the publication dates
        writer.write_record(writer.create_warc_record(
            pages[0][0], "request", payload=BytesIO(b"GET / HTTP/1.1\r\n\r\n"),
            warc_headers_dict={"WARC-Date": date}))
        for url, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(body), http_headers=headers,
                warc_headers_dict={"WARC-Date": date}))
        headers = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            "https://example.org/logo.png", "response", payload=BytesIO(b"\x89PNG\r\n\x1a\n"),
            http_headers=headers, warc_headers_dict={"WARC-Date": date}))


if __name__ == "__main__":
    main()
