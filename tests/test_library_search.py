"""Hybrid search, MMR, filters, answers with citations, the recall inspector, and the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest

from cli.app import run
from pipelines.library.answer import NOTHING_FOUND, AskOptions, ask
from pipelines.library.inspector import fit_map, measure_recall
from pipelines.library.library import Library
from pipelines.library.search import SearchOptions, mmr, rrf
from tests.fixtures.documents import ASTRONOMY, COOKING, GARDENING, constitution_text, make_pdf


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("library")
    (folder / "us-constitution.txt").write_text(constitution_text(), encoding="ascii")
    make_pdf(folder / "hobbies.pdf", [ASTRONOMY, COOKING, GARDENING])
    library = Library(folder / "lib")
    library.add_all([folder / "us-constitution.txt", folder / "hobbies.pdf"])
    library.close()
    return folder / "lib"


@pytest.fixture(scope="module")
def library(library_dir):
    return Library(library_dir)


def _cli_json(capsys, *argv):
    code = run(list(argv), launch_gui=lambda args: 0)
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out.strip() else None, captured.err


def test_commander_in_chief_is_the_first_hit_via_cli(library_dir, capsys):
    code, hits, _ = _cli_json(capsys, "search", "commander in chief of the army and navy",
                              "--library", str(library_dir), "--json")

    assert code == 0
    assert "Commander in Chief of the Army and Navy" in " ".join(hits[0]["text"].split())
    assert set(hits[0]) == {"source", "page", "text", "preview", "score", "vector_score",
                            "keyword_score"}
    assert hits[0]["source"].endswith("us-constitution.txt")
    assert hits[0]["keyword_score"] > 0 and hits[0]["vector_score"] > 0.3


def test_ask_cites_the_constitution_with_the_age_sentence(library_dir, capsys):
    code, answer, _ = _cli_json(capsys, "ask", "How old must the President be?", "--library",
                                str(library_dir), "--json", "--no-generate")

    assert code == 0
    assert any(c["source"].endswith("us-constitution.txt") for c in answer["citations"])
    top = answer["highlights"][0]
    assert "thirty five Years" in top["sentence"]
    assert top["source"].endswith("us-constitution.txt")
    cited = {c["n"]: c for c in answer["citations"]}
    assert "thirty five Years" in " ".join(cited[top["n"]]["text"].split())


def test_pdf_hits_carry_their_page(library):
    hit = library.search("when should tomatoes be harvested", SearchOptions(k=1))[0]

    assert hit.name == "hobbies.pdf" and hit.page == 3


def test_document_filter(library):
    pdf = library.find_document("hobbies.pdf")

    hits = library.search("President of the United States",
                          SearchOptions(k=3, document_ids=(pdf.id,)))

    assert hits and all(hit.name == "hobbies.pdf" for hit in hits)


def test_nothing_relevant_is_said_instead_of_invented(library):
    events = list(ask(library, "What is the boiling point of mercury in kelvin?",
                      AskOptions(generate=True)))

    answer = events[-1].answer
    assert not answer.relevant and answer.text == NOTHING_FOUND
    assert not answer.generated and answer.citations == []


def test_generated_answer_streams_and_cites(library):
    from inference.errors import ModelUnavailableError

    try:
        from inference.generation import load_generator
        generator = load_generator()
    except ModelUnavailableError as error:
        pytest.skip(f"language model not built: {error}")

    events = list(ask(library, "Who is commander in chief of the army and navy?",
                      AskOptions(max_new_tokens=40), generator=generator))

    kinds = [event.kind for event in events]
    assert kinds[0] == "retrieved" and kinds[-1] == "done" and "token" in kinds
    answer = events[-1].answer
    assert answer.generated and answer.text
    assert 0 < answer.prompt_tokens <= answer.context_tokens
    streamed = "".join(event.text for event in events if event.kind == "token").strip()
    assert answer.text.startswith(streamed[:20])
    assert all(1 <= n <= len(answer.citations) for n in answer.cited)


def test_attribution_and_invented_number_check(library):
    from pipelines.library.answer import Answer, Citation, _finish, score_sentences

    hit = library.search("age of thirty five Years President", SearchOptions(k=1))[0]
    citations = [Citation(1, hit)]
    scored = score_sentences(library.embedder, "How old must the President be?", citations)
    answer = Answer("How old must the President be?", citations=citations)

    _finish(answer, "The President must have attained the age of 18 years.",
            "Facts:\n[1] ... attained to the Age of thirty five Years ...", library.embedder,
            scored)

    assert answer.text.endswith("[1]") and answer.cited == [1]
    assert any("18" in note and "invented" in note for note in answer.notes)
    assert not any("35" in note for note in answer.notes)


def test_mmr_trades_relevance_for_variety():
    rng = np.random.default_rng(0)
    base = rng.normal(size=16)
    twins = np.stack([base, base + 0.01 * rng.normal(size=16), rng.normal(size=16)])
    vectors = twins / np.linalg.norm(twins, axis=1, keepdims=True)

    picks = mmr(vectors[0], vectors, np.array([1.0, 0.99, 0.5]), k=2, lam=0.5)

    assert picks == [0, 2]


def test_rrf_rewards_agreement():
    fused = rrf([[1, 2, 3], [3, 1, 4]])

    assert max(fused, key=fused.get) == 1
    assert fused[3] > fused[2]


def test_recall_inspector_against_exact_search(library):
    points = measure_recall(library, k=10, ef_values=(10, 200), queries=30, seed=1)

    assert [p.ef for p in points] == [10, 200]
    assert points[-1].recall >= 0.99
    assert all(0.0 <= p.recall <= 1.0 for p in points)


def test_map_projection_keeps_the_query_near_its_hits(library):
    from pipelines.library.inspector import all_vectors

    ids, vectors = all_vectors(library)
    projection = fit_map(vectors)
    query = library.embedder.embed_one("Commander in Chief of the Army and Navy")
    hit = library.search("Commander in Chief of the Army and Navy", SearchOptions(k=1))[0]

    points = projection.project(vectors)
    query_point = projection.project(query)[0]
    hit_point = points[list(ids).index(hit.chunk_id)]
    distances = np.linalg.norm(points - query_point, axis=1)
    assert np.linalg.norm(hit_point - query_point) <= np.median(distances)
    assert points.shape == (len(ids), 2)


def test_cli_add_list_stats_remove(tmp_path, capsys):
    note = tmp_path / "moon [1].md"
    note.write_text(ASTRONOMY, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    where = ["--library", str(tmp_path / "lib"), "--json"]

    code, reports, _ = _cli_json(capsys, "library", "add", str(note), str(empty), *where)
    assert code == 0
    assert [(Path(r["path"]).name, r["status"]) for r in reports] == [
        ("moon [1].md", "added"), ("empty.txt", "skipped")]
    assert set(reports[0]) == {"path", "status", "chunks", "message"}

    _, listed, _ = _cli_json(capsys, "library", "list", *where)
    assert [d["name"] for d in listed] == ["moon [1].md"]
    _, stats, _ = _cli_json(capsys, "library", "stats", *where)
    assert stats["documents"] == 1 and stats["chunks"] >= 1

    code, removed, _ = _cli_json(capsys, "library", "remove", "moon [1].md", *where)
    assert code == 0 and removed[0]["path"].endswith("moon [1].md")
    _, listed, _ = _cli_json(capsys, "library", "list", *where)
    assert listed == []


def test_cli_errors_are_one_sentence(library_dir, capsys):
    code, _, err = _cli_json(capsys, "library", "remove", "nothing.pdf", "--library",
                             str(library_dir))

    assert code == 2
    assert err.startswith("glassbox: error: No document 'nothing.pdf'")
    assert len(err.strip().splitlines()) == 1


def test_cli_refuses_a_library_that_does_not_exist(tmp_path, capsys):
    code, _, err = _cli_json(capsys, "search", "anything", "--library", str(tmp_path / "typo"))

    assert code == 2 and "There is no library in" in err
    assert not (tmp_path / "typo").exists()


def test_damaged_database_is_one_clear_error(tmp_path, capsys):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "library.sqlite3").write_bytes(b"this is not a database" * 100)

    code, _, err = _cli_json(capsys, "library", "list", "--library", str(folder))

    assert code == 2 and "file is not a database" in err and str(folder) in err


def test_named_libraries_live_in_the_user_data_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GLASSBOX_DATA_DIR", str(tmp_path / "data"))
    note = tmp_path / "moon.md"
    note.write_text(ASTRONOMY, encoding="utf-8")

    code, reports, _ = _cli_json(capsys, "library", "add", str(note), "--name", "work notes",
                                 "--json")
    _, listed, _ = _cli_json(capsys, "library", "list", "--name", "work notes", "--json")
    code_other, _, err = _cli_json(capsys, "library", "list", "--name", "other")

    assert code == 0 and reports[0]["status"] == "added"
    assert (tmp_path / "data" / "libraries" / "work notes" / "library.sqlite3").exists()
    assert [d["name"] for d in listed] == ["moon.md"]
    assert code_other == 2 and "There is no library" in err


@pytest.mark.parametrize("query", ['"unbalanced quote', "AND OR NOT", "NEAR(army navy",
                                   "army* -navy ^chief", "\u00e9l\u00e9phant \u5927\u7d71\u9818"])
def test_queries_with_search_syntax_are_plain_words(library, query):
    hits = library.search(query, SearchOptions(k=2))

    assert len(hits) == 2
