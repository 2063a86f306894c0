"""A CMS-like website on 127.0.0.1 for the discovery tests: index pages written the way NCMEC's
Adobe Experience Manager pages are (a <base href>, relative and absolute links, cache-busting
query strings, the same PDF linked twice, links wrapped in spans), the PDFs they link, and a
second host (127.0.0.2, also this machine) that must never be asked for anything.

Also small synthetic list PDFs (drawn with tests/synthetic.py) for the documents the pages link.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.synthetic import ListSpec, PageSpec, row, write_list_pdf

ESP_HEADER = ("Electronic Service Provider (ESP)", "Reports")


@pytest.fixture(autouse=True)
def over_http(monkeypatch):
    """Tests that fetch from the local server: no mirror and no manifest from the environment
    (`make test` sets NCMEC_MIRROR). Import it into a test module to apply it to every test there."""
    monkeypatch.delenv("NCMEC_MIRROR", raising=False)
    monkeypatch.delenv("NCMEC_MANIFEST", raising=False)


def esp_list_pdf(path: Path, counts: dict[str, int]) -> bytes:
    """A one-page 'reports by ESP' list with its printed total; returns the PDF's bytes."""
    rows = [row(name, f"{count:,}") for name, count in counts.items()]
    rows.append(row("Total", f"{sum(counts.values()):,}"))
    write_list_pdf(path, [PageSpec([ListSpec(rows, header=ESP_HEADER)])])
    return Path(path).read_bytes()


@dataclass
class Site:
    """What one host answers per path, and every request it received."""

    base: str = ""
    bodies: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def serve(self, path: str, body: bytes, content_type: str = "application/pdf") -> None:
        self.bodies[path] = (body, content_type)


def _handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            site.requests.append(self.path)
            body, content_type = site.bodies.get(self.path.split("?", 1)[0], (None, ""))
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", f'"{hash(body) & 0xFFFFFFFF:x}"')
            self.send_header("Last-Modified", "Mon, 01 Dec 2026 04:00:00 GMT")
            self.end_headers()
            self.wfile.write(body)

    return Handler


class Server:
    """One HTTP server on `host`, in a thread, for the duration of a test."""

    def __init__(self, host: str):
        self.site = Site()
        self.httpd = ThreadingHTTPServer((host, 0), _handler(self.site))
        self.site.base = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


DAM = "/content/dam/missingkids/pdfs"


def data_page(other_base: str) -> str:
    """The CyberTipline data page as a CMS writes it, December 2026."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>CyberTipline Data</title>
<base href="/content/dam/missingkids/"></head>
<body><nav><a href="/gethelpnow">Get help now</a> <a href="#main">Skip</a></nav>
<main id="main">
<h2>2025 CyberTipline Data</h2>
<ul>
  <li><a href="pdfs/cybertiplinedata2025/2025-reports-by-esp.pdf?la=en&amp;v=3">
      <span class="title">2025 CyberTipline Reports by Electronic Service Providers (ESP)</span></a></li>
  <li><a href="{DAM}/cybertiplinedata2025/2025-reports-by-country.pdf">2025 CyberTipline Reports by Country</a></li>
  <li><a href="{DAM}/cybertiplinedata2025/2025-reports-by-state.pdf">2025 CyberTipline Reports by U.S. State</a></li>
  <li><a href="pdfs/cybertiplinedata2025/OJJDP-NCMEC-Transparency-CY-2025.pdf">OJJDP NCMEC Transparency Report CY 2025</a></li>
  <li><a href="{other_base}{DAM}/2025-notifications-by-esp.pdf">2025 Notifications Sent to ESPs</a></li>
</ul>
<p>Download the <a href="pdfs/cybertiplinedata2025/2025-reports-by-esp.pdf">reports by ESP</a> again.</p>
<h2>2024 CyberTipline Data</h2>
<ul>
  <li><a href="pdfs/cybertiplinedata2024/2024-reports-by-esp.pdf">2024 CyberTipline Reports by ESP</a></li>
</ul>
</main></body></html>
"""
