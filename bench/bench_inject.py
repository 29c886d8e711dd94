"""How fast can the gateway find attachment references and inject links into a Confluence page?

Measures, on the ~240 KiB attachments-page fixture (100 attachment rows, sidebar, scripts), the
median and best time per page of each approach and their ratios to a baseline measured in the same
run (a plain `bytes.find` pass over the page, the cheapest thing that reads every byte). Timing is
noisy on a shared 2-core machine: compare ratios (and best runs), not absolute numbers.

    .venv/bin/python bench/bench_inject.py [--runs 30]

Approaches:
  baseline            bytes.find for "attachment-row" over the page
  regex-rows          one regex finditer for row tags (fast, but blind to comments and scripts)
  scan-lolhtml        gateway.onlyoffice.links.inject.scan_page, lol-html backend (sentinels -> offsets)
  scan-python         scan_page, pure-Python backend (the HTML5-rules regex tokenizer; the fallback)
  full-lolhtml        scan_page + inject_links (splice) with links for all 100 rows, lol-html scan
  full-python         the same with the pure-Python scan
  htmlparser-offsets  stdlib html.parser.HTMLParser, only to find tag offsets (no output)
  lolhtml-raw-scan    python-lolhtml 0.1.0 alone: one pass, three selectors, minimal handlers
  lolhtml-raw-full    python-lolhtml alone: find pass + rewrite pass with el.after() (the shape
                      injection would need without offsets: handlers cannot look ahead)
  selectolax          parse + serialise (reference only: re-serialisation changes bytes)
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.onlyoffice.links.inject import AttachmentLinks, inject_links, scan_page  # noqa: E402
from gateway.onlyoffice.links.inject.lol import available  # noqa: E402
from gateway.onlyoffice.links.inject.scan import Backend  # noqa: E402

FIXTURE = ROOT / "tests/unit/inject/fixtures/attachments-page.html"


def baseline(page: bytes) -> int:
    count, position = 0, page.find(b"attachment-row")
    while position != -1:
        count += 1
        position = page.find(b"attachment-row", position + 1)
    return count


_ROWS = re.compile(rb'<tr class="attachment-row"[^>]*data-attachment-id="(\d+)"')


def regex_rows(page: bytes) -> int:
    return sum(1 for _ in _ROWS.finditer(page))


class _Offsets(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr" or tag == "a":
            for name, value in attrs:
                if name == "class" and value and ("attachment-row" in value or "filename" in value):
                    self.found.append(self.getpos())


def htmlparser_offsets(page: bytes) -> int:
    parser = _Offsets()
    parser.feed(page.decode("utf-8", "surrogateescape"))
    parser.close()
    return len(parser.found)


def make_lolhtml(chunk: int = 16384) -> tuple[Callable[[bytes], Any], Callable[[bytes], Any]] | None:
    try:
        import lolhtml
    except ImportError:
        return None

    class Rows:
        def __init__(self) -> None:
            self.ids: list[str] = []

        def element(self, el: Any) -> None:
            value = el.get_attribute("data-attachment-id")
            if value and value.isdigit():
                self.ids.append(value)

    class Meta:
        def __init__(self) -> None:
            self.meta: dict[str, str] = {}

        def element(self, el: Any) -> None:
            self.meta[el.get_attribute("name") or ""] = el.get_attribute("content") or ""

    class After:
        def __init__(self, ids: list[str]) -> None:
            self.ids = ids
            self.index = 0

        def element(self, el: Any) -> None:
            att = self.ids[self.index]
            self.index += 1
            el.after(
                f' <span class="onlyoffice-links" data-onlyoffice="links" data-attachment-id="{att}"><a '
                f'class="onlyoffice-doceditor" href="/confluence/plugins/servlet/onlyoffice/doceditor?attachmentId={att}">'
                "Edit in ONLYOFFICE</a></span>",
                lolhtml.ContentType.HTML,
            )

    def run(page: bytes, handlers: list[tuple[str, Any]]) -> bytes:
        out = bytearray()
        rewriter = lolhtml.HTMLRewriter(out.extend)
        for selector, handler in handlers:
            rewriter.on(selector, handler)
        for start in range(0, len(page), chunk):
            rewriter.write(page[start : start + chunk])
        rewriter.end()
        return bytes(out)

    def scan(page: bytes) -> list[str]:
        rows, meta = Rows(), Meta()
        run(
            page,
            [
                ("tr.attachment-row", rows),
                ('meta[name^="ajs-"]', meta),
                ("tr.attachment-row a.filename", Meta()),
            ],
        )
        return rows.ids

    def full(page: bytes) -> bytes:
        ids = scan(page)
        return run(page, [("tr.attachment-row a.filename", After(ids))])

    return scan, full


def make_selectolax() -> Callable[[bytes], Any] | None:
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        return None

    def parse(page: bytes) -> int:
        tree = LexborHTMLParser(page)
        rows = tree.css("tr.attachment-row")
        return len(rows) + len(tree.html or "")

    return parse


def measure(fn: Callable[[bytes], Any], page: bytes, runs: int) -> tuple[float, float]:
    """(median, best) milliseconds per page; the best run is the least disturbed by neighbours."""
    fn(page)  # warm up (imports, regex compilation, caches)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(page)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, min(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    page = FIXTURE.read_bytes()
    scan = scan_page(page)
    links = {att: AttachmentLinks(mode="edit") for att in scan.attachment_ids}

    def full(backend: Backend) -> Callable[[bytes], bytes]:
        def run(doc: bytes) -> bytes:
            scan = scan_page(doc, backend=backend)
            return inject_links(doc, links, context_path="/confluence", script_url="/x/inject.js", scan=scan)

        return run

    approaches: list[tuple[str, Callable[[bytes], Any]]] = [
        ("baseline", baseline),
        ("regex-rows", regex_rows),
        ("scan-python", lambda doc: scan_page(doc, backend="python")),
        ("full-python", full("python")),
        ("htmlparser-offsets", htmlparser_offsets),
    ]
    if available():
        approaches += [
            ("scan-lolhtml", lambda doc: scan_page(doc, backend="lolhtml")),
            ("full-lolhtml", full("lolhtml")),
        ]
    lol = make_lolhtml()
    if lol is not None:
        approaches += [("lolhtml-raw-scan", lol[0]), ("lolhtml-raw-full", lol[1])]
    selectolax = make_selectolax()
    if selectolax is not None:
        approaches.append(("selectolax", selectolax))

    print(
        f"page: {FIXTURE.name}, {len(page) / 1024:.0f} KiB, {len(scan.references)} references, {args.runs} runs"
    )
    base, base_best = measure(baseline, page, args.runs)
    print(f"{'approach':<20} {'ms/page':>9} {'x baseline':>11} {'best ms':>9} {'x baseline':>11} {'MB/s':>8}")
    for name, fn in approaches:
        ms, best = (base, base_best) if name == "baseline" else measure(fn, page, args.runs)
        print(
            f"{name:<20} {ms:9.3f} {ms / base:11.1f} {best:9.3f} {best / base_best:11.1f} {len(page) / ms / 1000:8.1f}"
        )


if __name__ == "__main__":
    main()
