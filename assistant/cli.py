"""Command line: serve, clauses, ask, index build, report, forget, eval, fit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.settings import Settings


def _settings() -> Settings:
    try:
        return Settings()
    except ValueError as e:
        sys.exit(f"configuration error: {e}")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from assistant.answer.assistant import Assistant
    from assistant.api.app import create_app
    from assistant.errors import AssistantError

    s = _settings()
    host, port = args.host or s.host, args.port or s.port
    if args.workers < 1:
        sys.exit(f"--workers must be >= 1, got {args.workers}")
    try:
        # Model and index are made ready here once, so several workers never rebuild them concurrently.
        assistant = Assistant.from_settings(s, rebuild=not args.no_build)
    except AssistantError as e:
        sys.exit(f"cannot start: {e}")
    # Forwarded headers are the app's to judge, from ASSISTANT_TRUSTED_PROXIES only (assistant.api.agents);
    # uvicorn's own handling would believe them from 127.0.0.1 and hide the proxy's address from the app.
    if args.workers > 1:
        if assistant.audit is not None:
            assistant.audit.close()  # each worker opens its own; a PostgreSQL pool must not idle here
        del assistant
        uvicorn.run(
            "assistant.api.app:create_app", factory=True, workers=args.workers, host=host, port=port,
            access_log=s.access_log, proxy_headers=False,
        )
    else:
        uvicorn.run(
            create_app(s, assistant), host=host, port=port, log_level="info", access_log=s.access_log,
            proxy_headers=False,
        )
    return 0


def cmd_clauses(args: argparse.Namespace) -> int:
    from assistant.corpus.parse import load_corpus

    corpus = load_corpus(Path(_settings().corpus_dir))
    if args.json:
        print(json.dumps([c.model_dump() | {"title": c.title} for c in corpus.clauses], ensure_ascii=False, indent=2))
    else:
        for c in corpus.clauses:
            text = c.text.replace("\n", " ")
            print(f"{c.id:<11} {c.name:<12} {text[:60]}{'…' if len(text) > 60 else ''}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answer.assistant import Assistant

    answer = Assistant.from_settings(_settings()).ask(args.question)
    if args.json:
        print(answer.model_dump_json(indent=2))
        return 0
    print(f"[{answer.intent.value}] {answer.answer}")
    if answer.calculation:
        for step in answer.calculation.steps:
            print(f"  · {step}")
    for c in answer.citations:
        print(f"  - {c.clause_id} {c.title}\n    「{c.quote}」")
    return 0


def cmd_index_build(args: argparse.Namespace) -> int:
    from assistant.calc import load_examples
    from assistant.corpus.knowledge import load_knowledge
    from assistant.embedding.model import load_embedder
    from assistant.retrieval import index
    from assistant.retrieval.examples import ExampleIndex

    s = _settings()
    k = load_knowledge(Path(s.corpus_dir))
    embedder = load_embedder(s)
    # The example questions' vectors (calculator selection) are cached beside the model, once per example list.
    ExampleIndex.build(list(load_examples()), embedder, Path(s.cache_dir))
    reason = index.staleness(k, embedder.model_id, Path(s.index_dir))
    if args.if_stale and reason is None:
        print(f"index in {s.index_dir} is up to date")
        return 0
    if reason:
        print(f"rebuilding: {reason}")
    m = index.build(k, embedder, Path(s.index_dir))
    print(f"built {m.rows} vectors for {m.clauses} clauses with {m.model_id} in {m.build_seconds}s → {s.index_dir}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from datetime import datetime

    from assistant.audit import build_report, format_report, open_audit_log, open_feedback_store, parse_period
    from assistant.errors import AssistantError

    s = _settings()
    try:
        since, until = parse_period(args.since, args.until, datetime.now().astimezone())
    except ValueError as e:
        sys.exit(f"report: {e}")
    try:
        log, feedback = open_audit_log(s), open_feedback_store(s)
        try:
            report = build_report(log, feedback, since, until, top=args.top)
        finally:
            log.close()
            feedback.close()
    except AssistantError as e:
        sys.exit(f"report: {e}")
    print(report.model_dump_json(indent=2) if args.json else format_report(report))
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from assistant.audit.forget import forget
    from assistant.errors import AssistantError

    s = _settings()
    try:
        done = forget(s, session_id=args.session, phone=args.phone)
    except ValueError as e:
        sys.exit(f"forget: {e}")
    except AssistantError as e:
        sys.exit(f"forget: {e}; nothing was reported removed, run it again when the store is back")
    if args.json:
        print(done.model_dump_json(indent=2))
    else:
        print(
            f"removed: {done.sessions} live session(s) of {done.sessions_matched} matched, "
            f"{done.audit_records} audit record(s), {done.feedback} feedback, {done.subjects} subject digest(s)"
        )
        nothing = done.sessions + done.audit_records + done.feedback + done.subjects == 0
        if args.session and nothing and not args.session.startswith("ivr:"):
            # The likeliest slip: a phone system's bare call id, which is stored in its API key's namespace.
            print("nothing was stored under that id; an IVR call is stored as ivr:<API key fingerprint>:<call id>")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation import run_bank_eval, run_eval

    if not args.bank:
        run_eval(_settings(), Path(args.questions) if args.questions else None, verbose=args.verbose)
    if args.questions:
        return 0
    return run_bank_eval(_settings(), verbose=args.verbose)


def cmd_fit(args: argparse.Namespace) -> int:
    from assistant.calc.fit import run_fit

    return run_fit(_settings())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `assistant` console script."""
    p = argparse.ArgumentParser(prog="assistant", description="云专线产品入网协议 assistant")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("serve", help="serve the HTTP API")
    sp.add_argument("--host")
    sp.add_argument("--port", type=int)
    sp.add_argument("--workers", type=int, default=1, help="worker processes (sessions are shared through the store)")
    sp.add_argument("--no-build", action="store_true", help="refuse to start on a missing or stale index")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("clauses", help="list the parsed clauses")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_clauses)

    sp = sub.add_parser("ask", help="ask one question")
    sp.add_argument("question")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_ask)

    sp = sub.add_parser("index", help="manage the retrieval index")
    isub = sp.add_subparsers(dest="index_command", required=True)
    bp = isub.add_parser("build", help="build the index (BM25 + faiss)")
    bp.add_argument("--if-stale", action="store_true", help="only when missing or stale")
    bp.set_defaults(func=cmd_index_build)

    sp = sub.add_parser("report", help="intents, out-of-scope and clarify questions, unhelpful answers, latency")
    sp.add_argument("--since", help="first day, YYYY-MM-DD (default: 7 days ago)")
    sp.add_argument("--until", help="last day, YYYY-MM-DD (default: now)")
    sp.add_argument("--top", type=int, default=10, help="how many questions to list per group")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_report)

    sp = sub.add_parser("forget", help="delete one person's sessions, audit records and feedback everywhere")
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--session",
        help="a session id as stored and audited: the id the console or widget was issued, or for an IVR call "
        "ivr:<API key fingerprint>:<call id> (the fingerprint is the first 16 hex digits of the key's SHA-256)",
    )
    who.add_argument("--phone", help="a phone number the person gave (mobile, or landline with area code)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_forget)

    sp = sub.add_parser("eval", help="retrieval and calculation accuracy on the labelled questions")
    sp.add_argument("--questions", help="a TOML file of labelled questions (default tests/data/eval_questions.toml)")
    sp.add_argument("-v", "--verbose", action="store_true", help="print every miss (of the dev part only)")
    sp.add_argument("--bank", action="store_true", help="only the question bank's dev and sealed parts")
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("fit", help="fit the calculator-selection weights on the dev part of the question bank")
    sp.set_defaults(func=cmd_fit)

    args = p.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
