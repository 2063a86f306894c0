"""Offline without a mirror: the first host name that does not resolve stops the fetch of every
other document on that host (no retries, no 45 s of backoff), the documents are `unreachable`
(not `missing`: the source did not answer), and one warning says how to run from a mirror.
The failure is injected with a monkeypatched `socket.getaddrinfo`; no test touches the network."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner

from pipeline import fetch
from pipeline.cli import main
from pipeline.manifest import load_manifest


def offline(monkeypatch) -> dict[str, int]:
    calls = {"getaddrinfo": 0, "sleep": 0}

    def no_resolution(host, *args, **kwargs):
        calls["getaddrinfo"] += 1
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def no_sleep(seconds):
        calls["sleep"] += 1

    monkeypatch.setattr(socket, "getaddrinfo", no_resolution)
    monkeypatch.setattr(fetch.time, "sleep", no_sleep)
    return calls


def test_offline_run_fails_fast_marks_documents_unreachable_and_names_the_mirror(monkeypatch, tmp_path):
    calls = offline(monkeypatch)
    result = CliRunner().invoke(main, ["run", "--data-dir", str(tmp_path), "--jobs", "1"], env={"NCMEC_MIRROR": None})
    assert result.exit_code == 1, result.output                     # nothing could be published
    documents = load_manifest()
    hosts = {d.host for d in documents}
    assert calls == {"getaddrinfo": len(hosts), "sleep": 0}         # one try per host, no backoff
    table = [line.split()[:2] for line in result.output.splitlines() if line.split()[:1] == ["unreachable"]]
    assert [doc_id for _, doc_id in table] == [d.doc_id for d in documents]
    assert "missing " not in result.output
    assert result.output.count("cannot resolve www.missingkids.org (Name or service not known)") == 2  # log + table
    hint = [line for line in result.output.splitlines() if "--mirror DIR or NCMEC_MIRROR=DIR" in line]
    assert len(hint) == 1 and hint[0].startswith("WARNING cannot resolve www.missingkids.org")
    warnings = [line for line in result.output.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2                                       # the first failure and the hint, not 15
    state = json.loads((tmp_path / "state" / "fetch.json").read_text())
    assert {s["status"] for s in state.values()} == {"unreachable"}


def test_offline_fetch_keeps_copies_fetched_earlier(monkeypatch, tmp_path, corpus_dir):
    """A document fetched before stays usable offline (its copy, its message saying why)."""
    runner = CliRunner()
    fetched = runner.invoke(main, ["fetch", "--data-dir", str(tmp_path), "--only", "esp-2022",
                                   "--mirror", str(corpus_dir), "-q"])
    assert fetched.exit_code == 0, fetched.output
    calls = offline(monkeypatch)
    again = runner.invoke(main, ["fetch", "--data-dir", str(tmp_path), "--only", "esp-2022", "--only", "esp-2023"],
                          env={"NCMEC_MIRROR": None})
    assert again.exit_code == 3, again.output
    lines = {line.split()[1]: line for line in again.output.splitlines() if line.split()[:1] in (["ok"], ["unreachable"])}
    assert lines["esp-2022"].startswith("ok") and "using the copy fetched earlier" in lines["esp-2022"]
    assert lines["esp-2023"].startswith("unreachable") and "not tried" in lines["esp-2023"]
    assert calls["getaddrinfo"] == 1
