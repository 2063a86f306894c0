"""The parent publishes each document as its extraction arrives (`run.OutputsBuilder`), in
publishing order, and the outputs are the same whatever order the extractions arrive in."""

from __future__ import annotations

import random

from pipeline.manifest import load_manifest
from pipeline.run import (OutputsBuilder, build_outputs, cached_extractions, extraction_order, load_fetched,
                          publishing_key)
from pipeline import last_good as last_good_copies


def test_one_worker_extracts_in_publishing_order_and_two_start_with_the_longest():
    documents = [d for d in load_manifest() if d.supported]
    serial = [d.family for d in extraction_order(documents, jobs=1)]
    assert serial == [d.family for d in sorted(documents, key=publishing_key)]
    assert serial[-1] == "ojjdp_transparency"  # it compares with the lists' totals: published after them
    parallel = extraction_order(documents, jobs=2)
    ojjdp = [d for d in documents if d.family == "ojjdp_transparency"]
    assert parallel[:len(ojjdp)] == sorted(ojjdp, key=publishing_key)  # the longest first
    assert parallel[len(ojjdp):] == [d for d in sorted(documents, key=publishing_key) if d not in ojjdp]


def _inputs(pipeline_run):
    paths, _ = pipeline_run
    documents = load_manifest()
    fetched = load_fetched(paths)
    return documents, fetched, cached_extractions(documents, fetched, paths), last_good_copies.load(paths), paths


def _outputs(out):
    return out.documents, out.tables, out.checks, out.versions, out.total_pages


def test_outputs_are_the_same_whatever_order_the_extractions_arrive_in(pipeline_run):
    documents, fetched, extractions, last_good, paths = _inputs(pipeline_run)
    expected, expected_last_good = build_outputs(documents, fetched, extractions, last_good, paths, read_only=True)
    for seed in range(3):
        arriving = list(extractions.items())
        random.Random(seed).shuffle(arriving)
        builder = OutputsBuilder(documents, fetched, last_good, paths, read_only=True)
        for doc_id, extraction in arriving:
            builder.offer(doc_id, extraction)
        out, new_last_good = builder.finish({})
        assert _outputs(out) == _outputs(expected)
        assert new_last_good == expected_last_good


def test_each_document_publishes_as_soon_as_every_document_before_it_has(pipeline_run):
    documents, fetched, extractions, last_good, paths = _inputs(pipeline_run)
    in_order = [d for d in sorted(documents, key=publishing_key) if d.doc_id in extractions]
    builder = OutputsBuilder(documents, fetched, last_good, paths, read_only=True)
    builder.offer(in_order[-1].doc_id, extractions[in_order[-1].doc_id])  # the last waits for the others
    waiting = {d["doc_id"] for d in builder.out.documents}
    assert in_order[-1].doc_id not in waiting and not waiting & {d.doc_id for d in in_order}
    for doc in in_order[:-1]:
        builder.offer(doc.doc_id, extractions[doc.doc_id])
        published = [d["doc_id"] for d in builder.out.documents]
        assert doc.doc_id in published  # published on arrival, its checks and rows with it
        assert builder.out.tables[doc_family_table(doc)], doc.doc_id
    assert in_order[-1].doc_id in [d["doc_id"] for d in builder.out.documents]  # no longer held up


def doc_family_table(doc) -> str:
    from pipeline.families import FAMILIES

    return FAMILIES[doc.family].table


def test_a_run_publishes_each_document_before_the_next_is_extracted(corpus_dir, tmp_path, monkeypatch):
    """With one worker, the parent publishes a document while the worker reads the next one
    (here the workers are run in turn in this process, to log the order of events)."""
    from pipeline import run
    from pipeline.workspace import Workspace

    events = []

    def in_turn(func, calls, *, on_result=None, after_last_fork=None, **_):
        results = []
        for index, call in enumerate(calls):
            events.append(("extracted", call[2]))
            results.append(func(*call))
            on_result(index, results[-1])
        return results

    real_publish = run.publish_document

    def publish_document(doc, *args):
        events.append(("published", doc.file))
        return real_publish(doc, *args)

    monkeypatch.setattr(run, "run_bounded", in_turn)
    monkeypatch.setattr(run, "publish_document", publish_document)
    documents = [d for d in load_manifest() if d.doc_id in ("esp-2022", "country-2022")]
    run.run_pipeline(documents, Workspace(tmp_path / "data"), mirror=corpus_dir, jobs=1)
    country, esp = (next(d.file for d in documents if d.doc_id == i) for i in ("country-2022", "esp-2022"))
    assert events == [("extracted", country), ("published", country), ("extracted", esp), ("published", esp)]
