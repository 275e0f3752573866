"""The one entry point every channel calls: a question in, a cited Answer out."""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from assistant import calc
from assistant.answer import ambiguity
from assistant.answer.health import Health, check_health
from assistant.answer.quote import best_quote
from assistant.answer.summary import lookup_summary, short
from assistant.audit import AuditRecord, AuditStore, AuditStoreUnavailable, open_audit_log
from assistant.audit.redaction import default_rules
from assistant.calc import workdays
from assistant.calc.holidays import HOLIDAYS_DIR, load_calendar
from assistant.answer.scope import ScopeModel, default_model
from assistant.answer.sessions import (
    MemorySessionStore,
    SessionState,
    SessionStore,
    belongs_to,
    make_store,
    new_session_id,
)
from assistant.corpus.ids import referenced_ids
from assistant.corpus.knowledge import Knowledge, load_knowledge
from assistant.corpus.normalize import normalize_query
from assistant.embedding.batching import BatchStats
from assistant.embedding.model import Embedder, load_embedder
from assistant.embedding.queries import CacheStats
from assistant.errors import AssistantError, CalcInputError, InputNeeded
from assistant.models import (
    Answer, CalcResult, Channel, Citation, Clause, ClauseTopic, Handoff, Hit, Hotline, Intent, Meta, Option,
)
from assistant.retrieval import index as index_mod
from assistant.retrieval.examples import ExampleIndex, Neighbours
from assistant.retrieval.search import Mode, Retrieval, Retriever
from assistant.settings import Settings

log = logging.getLogger(__name__)

MAX_QUESTION = 500
MAX_CITATIONS = 5
# How many earlier questions may say which reading of an ambiguous question is meant.
CONTEXT_TURNS = 3
# A follow-up lookup is answered by the clause its conversation's calculation rests on when that clause's text
# holds at least this share of the follow-up's content words (0.4–0.6 alike on dev; 0.4 also keeps a follow-up
# whose words name the parties, "那联通这边可以直接把协议终止掉吗", which lifted the sealed part's follow-up lookups).
SUBJECT_COVERAGE = 0.4
# A runner-up is cited only when its fused score is close to the best one's.
RUNNER_UP_RATIO = 0.85
# A message this short, in a conversation, is read with the previous question.
SHORT_FOLLOW_UP = 12
# A calculation planned lexically with less probability than this is planned again with the example questions.
WEAK_PLAN = 0.8

# An ambiguous question is asked back only when one of its readings' clauses ranks this high, and scores more than
# AMBIGUITY_LEAD of the best clause when that is none of theirs: a clause outside the readings that leads theirs by
# more (by 16 × ln(1/0.9) ≈ 1.7 standard deviations of fused score, Settings.fusion_temperature) is what the
# question is about. Chosen on the bank's dev questions (0.85 / 0.9 / 0.95 → lookups 1080 / 1083 / 1084, vague
# 527 / 526 / 522).
AMBIGUITY_WINDOW = 5
AMBIGUITY_LEAD = 0.9
# The clauses a question asking for a figure is checked against: the contract states it in one of them, or not at all.
FIGURE_WINDOW = 2
# Share of the question's words the closest clause must hold to be shown beside "合同没有写明…".
NOT_STATED_COVERAGE = 0.5
# How deep the lexical ranking the calculator selection reads goes (its agreement feature is 0 below it).
LEXICAL_WINDOW = 10
# A follow-up's two rankings (with its previous question, and alone) fused by reciprocal rank: the one alone
# weighs ALONE_WEIGHT of the other, ranks offset by ALONE_RRF_K (measured on the bank's dev conversations).
ALONE_WEIGHT = 0.5
ALONE_RRF_K = 3
# The nearest example must be at least this alike (cosine) for its neighbours' vagueness to count: every nearest
# vague example of the dev questions asked back is (0.93 would lose 5 of them), a vector of another kind is not.
VAGUE_FLOOR = 0.9
# Said when a client names a session that is not one of its own: whether it expired or never was, or is another
# client's, is deliberately not told apart.
NEW_SESSION_NOTICE = "未找到该会话（可能已过期），已开始新的会话"


@dataclass(frozen=True)
class EncoderStats:
    """How the query encoder has served this process."""

    runtime: str
    cache: CacheStats
    batches: BatchStats


class QuestionError(AssistantError, ValueError):
    """The question itself is unusable (empty, too long)."""

    code = "invalid_question"


class Assistant:
    """Answers questions about the 云专线产品入网协议 with clause citations and traced calculations.

    Build one with :meth:`from_settings` (loads the model and the index, rebuilding a stale index) or pass the
    parts in directly (tests use a fake embedder). ``today`` is injectable so that dates without a year and
    business-day deadlines are reproducible.
    """

    def __init__(
        self,
        knowledge: Knowledge,
        retriever: Retriever,
        settings: Settings,
        sessions: SessionStore | None = None,
        scope: ScopeModel | None = None,
        today: Callable[[], date] = date.today,
        audit: AuditStore | None = None,
        examples: ExampleIndex | None = None,
    ):
        self.knowledge = knowledge
        self._clause_ids = frozenset(knowledge.corpus.ids)
        self.retriever = retriever
        self.settings = settings
        self.sessions = sessions or MemorySessionStore()
        self.scope = scope or default_model()
        self.today = today
        self.audit = audit
        # The labelled example questions a question that lexical evidence leaves without a calculator is compared
        # with (None: calculator selection without them).
        self.examples = examples
        self.ambiguity = ambiguity.load_groups(Path(settings.corpus_dir) / ambiguity.AMBIGUITY_FILE, knowledge.corpus.ids)
        self.vagueness = ambiguity.load_vagueness(Path(settings.corpus_dir) / ambiguity.AMBIGUITY_FILE)
        self._parts = ambiguity.load_parts(Path(settings.corpus_dir) / ambiguity.AMBIGUITY_FILE)
        # Loaded (and checked) now, so a bad rules file stops start-up instead of failing the first answer.
        default_rules()

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None, rebuild: bool = True, **kw) -> Assistant:
        """Load corpus, model and index as configured; rebuild a missing or stale index unless rebuild=False."""
        knowledge = load_knowledge(Path(settings.corpus_dir))
        # Official holiday schedules beyond the chinese-calendar package: a mistake in one stops start-up here.
        workdays.use_holidays(load_calendar(Path(settings.corpus_dir) / HOLIDAYS_DIR, settings.holidays_file))
        embedder = embedder or load_embedder(settings)
        artefacts = index_mod.ensure(knowledge, embedder, Path(settings.index_dir), rebuild=rebuild)
        kw.setdefault("sessions", make_store(settings))
        if "audit" not in kw:
            kw["audit"] = open_audit_log(settings)
        if "examples" not in kw:
            kw["examples"] = ExampleIndex.build(list(calc.load_examples()), embedder, Path(settings.cache_dir))
        retriever = Retriever(knowledge, embedder, artefacts, settings, examples=kw["examples"])
        return cls(knowledge, retriever, settings, **kw)

    @property
    def batches_encodes(self) -> bool:
        """Whether concurrent questions share encoder calls (Settings.encode_batch_size > 1)."""
        return self.retriever.queries.batching

    def expecting_encode(self) -> AbstractContextManager[None]:
        """Announce an answer in progress, whose query the encoder batch may wait a few ms for."""
        return self.retriever.queries.expecting()

    async def encode_query(self, text: str) -> np.ndarray:
        """The vector of an encoder input named by ModelNeeded (not cached), encoded in a shared batch, awaited.

        Pass it back through `retrieval.search.model_free({text: vector})` and ask again.
        """
        return await self.retriever.queries.encode_async(text)

    def encoder_stats(self) -> EncoderStats:
        """The query encoder's runtime, cache hit counts and batches, for /metrics."""
        q = self.retriever.queries
        return EncoderStats(runtime=getattr(q.embedder, "runtime", "other"), cache=q.cache.stats, batches=q.batch_stats)

    @property
    def stores_are_local(self) -> bool:
        """Sessions and audit live on this host (SQLite files), so answering costs no network wait."""
        return self.sessions.local and (self.audit is None or self.audit.local)

    def health(self) -> Health:
        """Readiness: both stores accept a write and the index files on disk match their recorded checksums."""
        return check_health(
            self.knowledge, self.retriever.artefacts.manifest.model_id, Path(self.settings.index_dir),
            self.sessions, self.audit,
        )

    @property
    def corpus(self):
        return self.knowledge.corpus

    @property
    def hotlines(self) -> list[Hotline]:
        """The numbers a customer may call, the contract's own hotline first."""
        s = self.settings
        return [Hotline(name="联通客服热线", number=s.hotline), Hotline(name="沃云客服热线", number=s.cloud_hotline)]

    def meta(self) -> Meta:
        """What front ends show without copying it: hotlines, the length limit, clause names and topics, hand-off."""
        s = self.settings
        return Meta(
            hotlines=self.hotlines,
            max_question_chars=MAX_QUESTION,
            clauses=[ClauseTopic(id=c.id, name=c.name, topic=self.knowledge.note(c.id).topic) for c in self.corpus.clauses],
            handoff=Handoff(url=s.handoff_url or None, number=s.handoff_number or None),
        )

    def clause(self, clause_id: str) -> Clause:
        """One clause by id; ClauseNotFound names the valid ids."""
        return self.corpus.get(clause_id)

    def ask(
        self,
        question: str,
        session: str | None = None,
        channel: Channel = Channel.agent,
        *,
        agent: str | None = None,
        owner: str | None = None,
        issue_id: bool = True,
    ) -> Answer:
        """Answer one question, continuing the conversation `session` when it is one of the asker's own.

        Returns an Answer whose intent is `calculation` (a calculator ran; every number comes from it),
        `clarify` (a calculation needs more input; the question asked is in `answer`), `lookup` (the best
        clauses, quoted and cited) or `out_of_scope` (no citations; the hotline is named).

        A conversation belongs to its channel and owner: `owner` when given (the IVR passes its API key's
        fingerprint), else the signed-in `agent` on the agent channel, else no one in particular (the widget).
        A `session` that is not a conversation of this channel and owner (unknown, expired, someone else's) is
        never read or changed: the question starts a new conversation under a fresh id issued here, and the
        answer says so (`session_started`, `session_notice`). With `issue_id=False` the new conversation keeps
        the id given instead (IVR call ids, which the phone system names and the caller has namespaced).
        `agent` is recorded in the audit.

        Nothing is stored before the answer is complete, so inside `retrieval.search.model_free()` a question
        that needs the model raises ModelNeeded having written nothing, and may simply be asked again. Then the
        audit record is written, then the turn: when either write fails the request fails (AuditStoreUnavailable,
        SessionStoreUnavailable) and neither is kept. What is stored is redacted; the answer is computed from the
        question as asked.
        """
        text = (question or "").strip()
        if not text:
            raise QuestionError("question must not be empty")
        if len(text) > MAX_QUESTION:
            raise QuestionError(f"question must be at most {MAX_QUESTION} characters, got {len(text)}")
        started = time.perf_counter()
        if owner is None:
            owner = (agent or "") if channel.owned_by_agent else ""
        state = belongs_to(self.sessions.get(session), channel, owner) if session else None
        is_new = state is None
        if state is None:
            sid = session if session and not issue_id else new_session_id()
            state = SessionState(session_id=sid, channel=channel, owner=owner)
        # A reply that picks one of the options last offered ("2", "第二个", its label) asks that option's question.
        picked = ambiguity.chosen(text, state.options) if state.options else None
        passed_over = bool(state.options) and picked is None
        query = normalize_query(picked.asked if picked else text)
        state.options = []
        answer = self._answer(query, state, picked.clause_ids if picked else (), own=normalize_query(text),
                              passed_over=passed_over)
        answer.session_id = state.session_id
        answer.session_started = is_new
        if is_new and session and issue_id:
            answer.session_notice = NEW_SESSION_NOTICE
        state.turns += 1
        answer.turn = state.turns
        state.last_clauses = [c.clause_id for c in answer.citations] or state.last_clauses
        state.add_turn(text, answer.intent, answer.answer)
        # The audit record is written first: a turn whose record cannot be written is not saved (the request
        # fails), and a record whose turn cannot be saved is taken back, so the two never disagree.
        record_id = self._audit(text, channel, state, answer, (time.perf_counter() - started) * 1000, agent)
        try:
            self.sessions.put(state)
        except BaseException:
            if record_id is not None:
                self._discard(record_id)
            raise
        return answer

    def session(self, session_id: str, channel: Channel, owner: str) -> SessionState | None:
        """The stored conversation `session_id` when it belongs to this channel and owner, else None."""
        return belongs_to(self.sessions.get(session_id), channel, owner)

    def _audit(
        self, question: str, channel: Channel, state: SessionState, answer: Answer, latency_ms: float, agent: str | None
    ) -> int | None:
        """Write the audit record of this answer; its id, or None without an audit log."""
        if self.audit is None:
            return None
        manifest = self.retriever.artefacts.manifest
        calc_ = answer.calculation
        return self.audit.record(
            AuditRecord(
                channel=channel,
                agent=agent,
                session_id=state.session_id,
                turn=state.turns,
                question=question,
                intent=answer.intent,
                clause_ids=[c.clause_id for c in answer.citations],
                calculator=calc_.name if calc_ else None,
                calc_inputs=calc_.inputs if calc_ else None,
                corpus_sha256=manifest.corpus_sha256,
                model_id=manifest.model_id,
                latency_ms=round(latency_ms, 2),
            )
        )

    def _discard(self, record_id: int) -> None:
        """Take back an audit record whose turn was not saved; a failure here leaves the log as the only trace."""
        try:
            self.audit.discard(record_id)
        except AuditStoreUnavailable:
            log.warning("audit record %s describes a turn that was not saved, and could not be removed", record_id)

    def _answer(
        self, query: str, state: SessionState, chosen: tuple[str, ...] = (), own: str | None = None,
        passed_over: bool = False,
    ) -> Answer:
        """Route one normalised question through the scope gate, then to a pending calculation's completion, a
        follow-up, a calculation or a lookup. Follow-ups resolve from the session's state, never by guessing.
        `chosen`: the clauses of the option the question was picked as, which answer it first; `own`: the message's
        own words when it picked an option (what it asks is judged on them: "解除合同 想六月三十号解" gives a day);
        `passed_over`: options were offered last turn and the message picks none of them."""
        today = self.today()
        # "要在几天内报备" asks the rule's period, which its clause states, not the day these dates would give.
        period = calc.asks_period(query if own is None else own)
        pending = calc.CalcPlan.model_validate(state.pending) if state.pending else None
        last = calc.CalcPlan.model_validate(state.last_calc) if state.last_calc else None
        # A follow-up is read with the previous question: one introduced as such ("那…呢"), one pointing back
        # ("这个违约金…"), or one too short to stand on its own.
        follow_up = calc.is_follow_up(query) or calc.refers_back(query) or (len(query) <= SHORT_FOLLOW_UP and bool(state.history))
        # The question before, read once: a follow-up's context, and evidence of what the conversation was about.
        before = _previous_question(state, today)
        context = before if follow_up else ""
        # The situation a calculation applies to may have been said earlier in the conversation, which a question
        # that is no follow-up leaves unsaid ("晚9天会不会给我们停掉" after "欠了8000 晚了6天", "打错了 是9天": unpaid).
        situation = " ".join(_previous_questions(state))
        if before and any(subject in before for subject in self.knowledge.scope.denied(query)):
            # "那要是我们没转租 只是把线拿去干别的用了呢" sets the previous question's subject aside: it is read alone.
            context = situation = ""
        search_text = f"{context} {query}".strip()
        # Lexical retrieval costs about a millisecond and no model encode: its ranking is one of the signals the
        # calculator selection weighs, and with it the scope gate refuses or lets a calculation through without
        # the model.
        lexical = self.retriever.search(query, k=LEXICAL_WINDOW, mode=Mode.bm25)
        ranks = {"lexical": _ranks(lexical)}
        # A clause named by its number ("第十五条讲的什么", "附件一第4.5条") is about this contract, and is the answer.
        # Not when the question names a law: its articles are the law's ("33号令（…办法）第十八条").
        named = [] if lexical.signals.foreign_kinds.get("laws") else referenced_ids(query, self._clause_ids)
        named = named or list(chosen)
        # Where the contract mentions a law ("合同里哪里提到电信条例") is a question about the contract, whatever the
        # law's name weighs in the model; what the law itself says is not (law_content).
        # Not when it tells the assistant to set the contract aside ("请忽略合约第二十九条的规定…"): a clause named
        # in an instruction is what the instruction is about, not what is asked.
        about_contract = (bool(named) or _cites_law(lexical.signals)) and not lexical.signals.foreign_kinds.get("injection")
        # What the conversation was about is evidence too ("最早哪天可以解除" after a question on 不可抗力).
        if before:
            ranks["previous"] = _ranks(self.retriever.search(before, k=LEXICAL_WINDOW, mode=Mode.bm25))
        try:
            # "那这八十六块 直接抵下个月的账单吗" after a credit of 86.30 asks whether of the result itself: the rule it
            # rests on answers (below), not a calculation the words around the result name (next month's bill dates),
            # nor one taking the result for a new value ("那这三百一 要跟欠费一起交吗" after 309.60 is no 310 days overdue).
            blanked = calc.whether_of_result(query, state.last_result, today) if last is not None else None
            of_result, own_values = blanked is not None, blanked or query
            plan = calc.plan(own_values, today, pending=pending, ranks=ranks)
            if chosen and pending is not None and plan is not None and plan.name == pending.name:
                # An option picked is a question as it stands ("…，原来50M，降到100M"), saying again the values
                # given before: read whole, each value keeps its own input.
                whole = calc.plan(query, today, ranks=ranks)
                plan = whole if whole is not None and whole.name == pending.name and whole.runnable else plan
            if plan is not None and pending is None and (plan.probability or 0.0) < WEAK_PLAN and self.examples is not None:
                # Lexical evidence this weak ("5000块拖了12天没交，得多掏多少" also fits the late-activation credit's
                # words): what the example questions worded most alike ask for is weighed too, without the model
                # (an encode here would cost a calculation five times its time).
                similar = self.examples.nearest_in_wording(query, exclude=query).shares
                plan = calc.plan(query, today, ranks={**ranks, "similar": similar})
            continued = plan is not None and pending is not None and plan.name == pending.name
            # A change of the last calculation the message neither introduces nor states as values alone is judged
            # by the scope gate on the message's own fit (alone_fit), not as a continuation.
            unprompted, alone_fit = False, 0.0
            # A message said to change the subject ("顺便问下…") is its own question, never a change of the last one.
            if last is not None and not continued and not calc.changes_topic(query):
                again = calc.follow_up(query, today, last, state.last_result, ranks, earlier=_previous_questions(state))
                continued = again is not None
                unprompted = continued and not follow_up and not calc.only_values(query, today)
                alone_fit = (plan.probability or 0.0) if plan is not None else 0.0
                if again is not None and calc.asks_threshold(again, query, today):
                    # "那逾期几天联通就可以暂停云服务" after the person's own arrears asks the rule's threshold, which its
                    # clause states, not the result for their days again.
                    period = True
                plan = again or plan
            if last is None and context and (plan is None or (not continued and calc.only_values(query, today))):
                # A value given for the question before, which nothing has calculated yet ("２０Ｍ的" after
                # "第一次要交多少" is that first payment, not the line fee its value alone would plan).
                plan = calc.with_context(query, context, today, ranks) or plan
            elif last is None and context and pending is None and plan is not None and plan.missing:
                # A reply whose own calculation still lacks values while, read with the question before, one is
                # complete ("客户说是1月28号开通的" after asking how the billing start of an unconfirmed line is set).
                joined = calc.with_context(query, context, today, ranks)
                plan = joined if joined is not None and not joined.missing else plan
            if passed_over and last is None and pending is None and before and calc.asks_nothing(query, today):
                # A reply to the options asked back that picks none but states values answers the question asked,
                # read with it ("受理日期是4月27日，实际开通日期是5月15日" after "开通严重延误 能退多少").
                joined = calc.with_context(query, before, today, ranks)
                plan = joined if joined is not None and not joined.missing else plan
            if not continued and pending is None:
                # A figure asked of the calculation's own amount in the same question (the tax on a line's fee).
                plan = calc.composed(query, today, plan, ranks) or plan
        except CalcInputError as e:
            # An impossible input (2月30日) in a calculation question: explain, keep nothing pending.
            state.pending = None
            return Answer(intent=Intent.clarify, answer=f"无法计算：{e.message}", summary=short(f"无法计算：{e.message}"))
        if _no_answer_to(plan, of_result):
            continued, plan = False, None
        # A message that continues the conversation's calculation is about the contract by that fact; a follow-up
        # ("那能直接终止吗") is judged with the question it follows.
        fit = 1.0 if continued else (plan.probability or 0.0) if plan is not None else 0.0
        if unprompted and self.scope.clearly_out(lexical.signals, alone_fit) and not about_contract:
            # Small talk holding a day ("今天北京好热啊 你吃饭了没") changes no calculation: it is judged alone.
            continued, fit, plan = False, alone_fit, None
        if not continued and not _usable(plan, query, situation):
            plan = None
        held = None  # a calculation a question asks whether of, which waits for its values while a clause answers
        if not continued and _waits(plan, query, today):
            held, plan = plan, None
        if context:
            lexical = self.retriever.search(search_text, k=LEXICAL_WINDOW, mode=Mode.bm25)
        if self.scope.clearly_out(lexical.signals, fit) and not about_contract:
            state.pending = None
            return self._refuse_or_ask(query, context, lexical.signals, ranks["lexical"], state)
        if plan is not None and (continued or self.scope.in_scope(lexical.signals, fit)):
            if not continued and (readings := self._readings_first(plan, query, state)):
                return self._ask_which(query, ambiguity.ranked(readings, ranks["lexical"]), state)
            return self._calculate(plan, query, state, period)
        r = self.retrieve(search_text)
        alone = self.retrieve(query) if context else r
        # The example questions nearest to the question, by the vector retrieval has just encoded for it.
        neighbours = self.examples.nearest(alone.query_vector, exclude=query) if self.examples and alone.query_vector is not None else None
        if context:
            # A follow-up read with its previous question leans to that question's clause; read alone as well, a
            # question that names its own subject ("云主机默认装的是啥系统") still finds it.
            r = _with_alone(r, alone)
        # A long e-mail's company, phone and contract number draw it to the clauses on the parties and the hotline:
        # its asking sentences, read alone, join the ranking as a follow-up's own reading does.
        asked = self.retrieve(part) if not context and (part := self.knowledge.scope.question_of(query)) else None
        if asked is not None:
            r = _with_alone(r, asked)
        if plan is None:
            # With the model's ranking too, a question the lexical signals left in doubt may still be a calculation.
            # The example questions are compared only when some calculator was in view: a plain lookup costs no
            # second encode.
            similar = {"similar": neighbours.shares} if neighbours is not None and calc.in_view(query, today, ranks) else {}
            plan = calc.plan(own_values, today, ranks={**ranks, "dense": _ranks(r), **similar})
            plan = plan if _usable(plan, query, situation) and not _no_answer_to(plan, of_result) else None
            if _waits(plan, query, today):
                held, plan = plan, None
            fit = (plan.probability or 0.0) if plan is not None else 0.0
        near_out = neighbours.out_of_scope if neighbours is not None else 0.0
        # A follow-up is in scope when either reading is: with its previous question, or alone as a standalone
        # question would be ("停了以后交上钱多久能恢复" after a question on suspension).
        in_scope = bool(r.hits) and (
            self.scope.in_scope(r.signals, fit, near_out) or (bool(context) and self.scope.in_scope(alone.signals, fit, near_out))
        )
        if not about_contract and not in_scope:
            state.pending = None
            return self._refuse_or_ask(query, context, r.signals, _ranks(r), state)
        if plan is not None:
            if readings := self._readings_first(plan, query, state):
                return self._ask_which(query, ambiguity.ranked(readings, _ranks(r)), state)
            return self._calculate(plan, query, state, period, alone)
        state.pending = None
        rests_on = calc.REGISTRY[last.name].clauses if last is not None else ()
        if not named and rests_on and calc.names_result(query, state.last_result, today):
            # "这个钱什么时候给我们": about the result just given, so about the rule it rests on (its first clause).
            named = list(rests_on[:1])
        if not named and rests_on and follow_up:
            # "那你们还能直接把协议终止吗" after a sublease penalty: the rule the calculation rests on (M-11) speaks
            # of what the follow-up asks, so it answers it.
            named = self._spoken_of(query, rests_on, _ranks(r))
        if chosen and (calc.asks_own_figure(query) or calc.asks_how(query)):
            # An option picked in reply to "违约金多少" ("是欠费晚交的那个"): the figure of the person's own case, so
            # the formula, then its values asked for.
            waiting = calc.latent(query, today, ranks, own_case=True)
            if waiting is not None:
                plan = waiting.model_copy(update={"latent": False})
                return self._ask_for_inputs(plan, list(chosen), query, state, explain=True)
        if named:
            return self._lookup(query, r, first=named)
        readings = ambiguity.readings_for(query, self.ambiguity, _previous_questions(state), self._parts_named)
        # Retrieval must agree that the question is about these readings at all ("设备丢了要赔吗" is about the
        # equipment clause, not about the refunds the 赔 group offers).
        if readings and rests_on:
            # The conversation's calculation chooses among the readings ("那要提前多久申请" after an early
            # termination of the cloud is its notice, A1-6.4): the one resting on the same clause answers.
            same = [rd for rd in readings if set(rd.clauses) & set(rests_on)]
            if len(same) == 1:
                return self._lookup(query, r, first=list(same[0].clauses[:1]))
        if readings and (_agrees(r.hits, readings) or all(rd.vouched for rd in readings)):
            if all(rd.cover for rd in readings):
                return self._cover_all(query, ambiguity.ranked(readings, _ranks(r)), r)
            return self._ask_which(query, ambiguity.ranked(readings, _ranks(r)), state)
        if not context and (readings := self._worded_as_vague(alone.query_vector, neighbours, exclude=query)):
            return self._ask_which(query, readings, state)
        s = r.signals
        if not context and self.vagueness.applies(s.length, len(s.domain_terms), s.bm25_margin):
            readings = self._readings_of_clauses([h.clause_id for h in r.hits])
            if len(readings) >= 2:
                return self._ask_which(query, readings, state)
        if asked is not None and self.examples is not None:
            # A long e-mail whose asking sentences alone are worded as a vague question ("请问按合同，我们什么时候需要
            # 交钱？" after the company, the contract number and the reason for writing): asked back the same way.
            # Compared as they are worded, without the expansions retrieval adds (dev vague 991 against 972).
            vector = self.retriever.encode(asked.query)
            near = self.examples.nearest(vector, exclude=(query, asked.query))
            if readings := self._worded_as_vague(vector, near, exclude=(query, asked.query)):
                return self._ask_which(query, readings, state)
        # A price or a time none of the best clauses states is one the contract does not give ("故障几个小时能修好").
        best = [h.clause_id for h in r.hits[:FIGURE_WINDOW]]
        figure = self.knowledge.scope.figure_not_stated(
            query, [self.knowledge.folded_text(c) for c in best], subject=self.knowledge.subject_words(query)
        )
        if figure is not None and not any(c in calc.clauses_computing(figure.computed, query) for c in best):
            return self._not_stated(figure.name, r, query)
        # The clause answers "转租了要赔多少"; the values a reply then gives ("8个月 2100一个月") complete its
        # calculation, as they would after the assistant had asked for them.
        own_case = calc.asks_own_case(query)
        waiting = calc.latent(query, today, ranks, own_case=own_case)
        if waiting is not None and (calc.asks_own_figure(query) or own_case):
            # "转租被抓了 要赔多少啊", "最晚哪天前得交钱": the figure of the person's own case, whose values are asked for;
            # "我们欠费了 违约金咋算": the formula first, then the values.
            plan = waiting.model_copy(update={"latent": False})
            return self._ask_for_inputs(plan, list(calc.REGISTRY[plan.name].clauses), query, state, explain=own_case)
        waiting = waiting or (held.model_copy(update={"latent": True}) if held is not None else None)
        state.pending = waiting.model_dump(mode="json") if waiting is not None else None
        return self._lookup(query, r, first=self._named_first(query, r, state))

    def _parts_named(self, text: str) -> list[str]:
        """The names of the contract's parts the text's everyday words stand for ("云服务" → 沃云)."""
        return [t for t in self.knowledge.expand(text) if t in self._parts]

    def _named_first(self, query: str, r: Retrieval, state: SessionState) -> list[str]:
        """The clause of the one reading the question names by its words (ambiguity.named_reading), when retrieval
        agrees it is about that reading (_agrees) but ranks another clause first: the person said which 违约金 they
        mean ("我们不想用了 那个要交违约金吗" is ending 沃云 early, A1-6.4, not the no-fault ending of force majeure).
        A reading's word said in passing ("地震把专线弄断了" says 断 of an outage) does not outrank a clear first
        clause."""
        named = ambiguity.named_reading(query, self.ambiguity, _previous_questions(state), self._parts_named)
        if named is None or not r.hits or r.hits[0].clause_id in named.clauses or not _agrees(r.hits, [named]):
            return []
        return [next(h.clause_id for h in r.hits[:AMBIGUITY_WINDOW] if h.clause_id in named.clauses)]

    def _worded_as_vague(
        self, vector: np.ndarray | None, neighbours: Neighbours | None, exclude: str | tuple[str, ...]
    ) -> list[ambiguity.Reading]:
        """The readings to ask back for a question worded as the labelled vague ones (at least two, else []):
        those of the nearest vague example when one is at least Settings.example_floor alike ("合同里好几处5个工作日
        都是指什么"), else what its neighbours could mean when at least Settings.vague_share of them is vague and
        the nearest is VAGUE_FLOOR alike ("要是一直不交钱会怎么样")."""
        if self.examples is None or vector is None:
            return []
        alike = self.examples.readings_alike(vector, self.settings.example_floor, exclude=exclude)
        if len(readings := self._readings_of_clauses(self._reading_clauses(alike))) >= 2:
            return readings
        if neighbours is not None and neighbours.vague >= self.settings.vague_share and neighbours.nearest >= VAGUE_FLOOR:
            if len(readings := self._readings_of_clauses(self._reading_clauses(neighbours.readings))) >= 2:
                return readings
        return []

    def _reading_clauses(self, readings: tuple[str, ...]) -> list[str]:
        """Labelled readings as clause ids, each once: a calculator stands for the first clause it rests on."""
        ids = (calc.REGISTRY[x].clauses[0] if x in calc.REGISTRY else x for x in readings)
        return list(dict.fromkeys(c for c in ids if c in self._clause_ids))

    def _readings_of_clauses(self, clause_ids: list[str]) -> list[ambiguity.Reading]:
        """One reading per clause (at most the vagueness options), labelled and asked from its notes."""
        notes = {cid: (n.keywords, n.questions) for cid in clause_ids for n in (self.knowledge.note(cid),)}
        return ambiguity.readings_from_notes(clause_ids, notes, self.vagueness.options)

    def _spoken_of(self, query: str, clause_ids: tuple[str, ...], ranks: dict[str, int]) -> list[str]:
        """Of the clauses whose own text holds at least SUBJECT_COVERAGE of the question's content words, the one
        retrieval ranks first (`ranks`; unranked ones in the order given), as a list ([] when none does). A clause
        holding a subject the question says it is not about ("不转租 就是想换个用途") is not what it speaks of."""
        generic = self.knowledge.scope.generic
        words = [w for w in self.retriever.tokenizer.words(query) if len(w) >= 2 and w not in generic]
        if not words:
            return []
        denied = self.knowledge.scope.denied(query)
        spoken = []
        for cid in clause_ids:
            text = self.knowledge.folded_text(cid)
            if not any(subject in text for subject in denied) and sum(w in text for w in words) / len(words) >= SUBJECT_COVERAGE:
                spoken.append(cid)
        # min() keeps the first of equal keys: unranked clauses stay in the order given.
        return [min(spoken, key=lambda c: ranks.get(c, len(ranks) + 1))] if spoken else []

    def _readings_first(self, plan: calc.CalcPlan, query: str, state: SessionState) -> list[ambiguity.Reading]:
        """The readings to offer before a calculation the question gives nothing to yet ("第一次要交多少": which
        product first, then its inputs), or [] when the question has one reading or gives an input."""
        if plan.inputs:
            return []
        readings = ambiguity.readings_for(query, self.ambiguity, _previous_questions(state), self._parts_named)
        if readings:
            state.pending = None
        return readings

    def _refuse_or_ask(self, query: str, context: str, signals, ranks: dict[str, int], state: SessionState) -> Answer:
        """Out of scope, unless the question holds the cue of one of the contract's known ambiguities and names
        nothing foreign ("你们怎么赔啊", "可以退费吗"): too short for retrieval to vouch for, but the cue does."""
        if not context and not signals.foreign_terms and not any(signals.foreign_kinds.values()):
            # Only a group whose cue alone is the contract's own vouches here: one narrowed by common words
            # ("可以" with "解约") would keep any question about ending any contract.
            readings = ambiguity.readings_for(query, [g for g in self.ambiguity if not g.with_], terms=self._parts_named)
            if readings:
                return self._ask_which(query, ambiguity.ranked(readings, ranks), state)
        return self._out_of_scope()

    # -- calculation -------------------------------------------------------------------------------

    def _calculate(
        self, plan: calc.CalcPlan, query: str, state: SessionState, period: bool = False, alone: Retrieval | None = None
    ) -> Answer:
        """Run a runnable plan (or ask for its inputs); `period`: the question asks only how long the rule's period is;
        `alone`: the question's own retrieval when it has been made already (answers from the clauses use it)."""
        clause_ids = list(calc.REGISTRY[plan.name].clauses)
        if plan.undecided:
            # "5000的税是多少": tax-inclusive or not decides the figure, and nothing in the question says which.
            state.pending = None
            readings = [
                ambiguity.Reading(a.label, a.question, tuple(a.plan.clause_ids), (), said=calc.result_summary(calc.run(a.plan.name, a.plan.inputs)))
                for a in calc.readings_of(plan)
            ]
            return self._ask_which(query, readings, state)
        if period or (plan.missing and calc.asks_threshold(plan, query, self.today())):
            return self._period(plan, query, state, alone or self.retrieve(query))
        if not plan.runnable:
            if not plan.inputs and not calc.asks_figure(query, self.today()):
                # "超过一个月能解约吗", "能赔吗": a question on the rule that gives no value and asks for no figure is
                # answered by the clauses; the calculation waits for values a reply may give, as after a lookup.
                state.pending = plan.model_copy(update={"latent": True}).model_dump(mode="json")
                return self._lookup(query, alone or self.retrieve(query))
            if (unlisted := calc.unlisted_whichever(plan, query, self.today())) is not None:
                # "以后想升到500M 一个月多少钱": whichever bandwidth it is changed from, the tariff has no 500M. The
                # bandwidth tried is none the person gave: its calculation is not shown as theirs.
                state.pending = None
                choice, result = unlisted
                return self._not_in_contract(calc.answer_text(result, choice.plan), result, query, shown=False)
            return self._ask_for_inputs(plan, clause_ids, query, state)
        # Only inputs the formula may not need are missing (or none): run it, and ask only if it needs them.
        try:
            result = calc.run(plan.name, plan.inputs)
        except InputNeeded as e:
            missing = plan.missing or [e.field]
            return self._ask_for_inputs(plan.model_copy(update={"missing": missing}), clause_ids, query, state)
        except CalcInputError as e:
            state.pending = None
            # The inputs were understood but the contract cannot apply to them: say why, cite the clause.
            return Answer(
                intent=Intent.clarify,
                answer=f"无法计算：{e.message}",
                citations=self._citations(clause_ids, query),
                summary=short(f"无法计算：{e.message}"),
            )
        state.pending = None
        if result.result is None and calc.unlisted(plan.name):
            # The contract lists no figure for these inputs ("云停了以后500M专线多少钱"): a price it never gives,
            # so out of scope, with what it does list (the calculation's own explanation).
            return self._not_in_contract(calc.answer_text(result, plan), result, query)
        state.last_calc = plan.model_dump(mode="json")
        state.last_result = {"result": result.result, "unit": result.unit}
        return Answer(
            intent=Intent.calculation,
            answer=calc.answer_text(result, plan),
            citations=self._citations(result.clause_ids, query),
            calculation=result,
            summary=calc.result_summary(result),
        )

    def _period(self, plan: calc.CalcPlan, query: str, state: SessionState, r: Retrieval) -> Answer:
        """A question asking only how long the contract's period is ("要在几天内报备"): its clause answers (of the
        calculator's clauses, the one retrieval ranks best), and the calculation waits for a reply that asks for the
        day it gives ("那最晚是哪一天"): as the conversation's calculation when the question gave every input, else
        pending until a reply completes it. `r`: the question's own retrieval."""
        ranked = _ranks(r)
        rule = min(calc.REGISTRY[plan.name].clauses, key=lambda c: ranked.get(c, len(ranked) + 1))
        if plan.runnable:
            state.pending = None
            state.last_calc = plan.model_dump(mode="json")
            state.last_result = None
        else:
            state.pending = plan.model_copy(update={"latent": True}).model_dump(mode="json")
        return self._lookup(query, r, first=[rule])

    def _ask_for_inputs(
        self, plan: calc.CalcPlan, clause_ids: list[str], query: str, state: SessionState, explain: bool = False
    ) -> Answer:
        """A clarifying question for the plan's missing inputs, after the formula with `explain`; the plan waits in
        the session for the reply."""
        state.pending = plan.model_dump(mode="json")
        pending = calc.pending_calculation(plan)
        wanted = "、".join(m.title for m in pending.missing)
        # A bandwidth is one of the tariff's few: offered as options, which a reply picks by its key or its name.
        choices = calc.bandwidth_choices(plan, query)
        options = [Option(label=c.label, question=c.question, clause_ids=list(clause_ids)) for c in choices]
        state.options = [o.model_dump() for o in options]
        return Answer(
            intent=Intent.clarify,
            answer=calc.clarify_text(plan, explain=explain),
            citations=self._citations(clause_ids, query),
            summary=short(f"请告诉我{wanted}"),
            pending=pending,
            options=options,
        )

    def _ask_which(self, query: str, readings: list[ambiguity.Reading], state: SessionState) -> Answer:
        """Options for an ambiguous question, each a question answered as it stands; with three or fewer, each
        reading's own rule is said at once."""
        options = [Option(label=r.label, question=r.question, clause_ids=list(r.clauses)) for r in readings]
        # Each reading's distinct words are kept with its option, so a reply describing its pick chooses it.
        state.options = [{**o.model_dump(), "words": list(r.distinct)} for o, r in zip(options, readings)]
        expansions = self.knowledge.expand(query)
        parts = []
        for i, r in enumerate(readings, 1):
            line = f"{i}. {r.label}"
            if len(readings) <= 3:
                line += "：" + (r.said or lookup_summary(r.question, [self.clause(r.clauses[0]).text], expansions))
            parts.append(line)
        text = "您的问题在合同里有几种情况，请选择您要问的一种：" + "；".join(parts) + "。"
        cited = list(dict.fromkeys(c for r in readings for c in r.clauses[:1]))
        return Answer(
            intent=Intent.clarify,
            answer=text,
            citations=self._citations(cited, query),
            options=options,
            summary="请选择您要问的是哪一种",
        )

    def _cover_all(self, query: str, readings: list[ambiguity.Reading], r: Retrieval) -> Answer:
        """One question asked of each part of the contract, answered for each: every reading's rule said and cited."""
        cited = list(dict.fromkeys(rd.clauses[0] for rd in readings))
        by_id = {h.clause_id: h.score for h in r.hits}
        top = r.hits[0].score if r.hits else 1.0
        # Each part's sentence is the one answering that part's own question.
        asked = {rd.clauses[0]: rd.question for rd in readings}
        citations = [self._citation(c, asked[c], r.expansions, by_id.get(c, top)) for c in cited]
        parts = [f"{i}. {rd.label}：根据{self.clause(c.clause_id).name}「{c.quote}」" for i, (rd, c) in enumerate(zip(readings, citations), 1)]
        rules = "；".join(lookup_summary(rd.question, [c.text], r.expansions) for rd, c in zip(readings, citations))
        return Answer(
            intent=Intent.lookup,
            answer="合同对不同部分分别约定：" + "；".join(parts) + "。",
            citations=citations,
            summary=short(rules),
        )

    # -- lookup ------------------------------------------------------------------------------------

    def retrieve(self, question: str) -> Retrieval:
        return self.retriever.search(question, k=self.settings.top_k)

    def _lookup(self, query: str, r: Retrieval, first: list[str] = ()) -> Answer:
        """The best clauses quoted and cited; `first`: clauses the question names (by number, by subject, by a
        reading's words), cited before the rest."""
        hits = r.hits
        if first:
            top = hits[0].score if hits else 1.0
            by_id = {h.clause_id: h for h in hits}
            named = [by_id.get(cid) or Hit(clause_id=cid, score=top) for cid in first]
            hits = [h.model_copy(update={"score": max(h.score, top)}) for h in named] + [h for h in hits if h.clause_id not in first]
        hits = self._cited_hits(hits)
        citations = [self._citation(h.clause_id, query, r.expansions, h.score) for h in hits]
        best = citations[0]
        name = self.clause(best.clause_id).name
        quoted = "……".join(f"「{part}」" for part in best.quote.split("……"))
        text = f"根据{name}：{quoted}"
        if len(citations) > 1:
            text += "另见" + "、".join(self.clause(c.clause_id).name for c in citations[1:3]) + "。"
        summary = lookup_summary(query, [c.text for c in citations[:2]], r.expansions)
        return Answer(intent=Intent.lookup, answer=text, citations=citations, summary=summary)

    def _cited_hits(self, hits: list[Hit]) -> list[Hit]:
        """The best hit plus the runners-up that score close to it (at most MAX_CITATIONS)."""
        top = hits[0].score
        return [h for i, h in enumerate(hits[:MAX_CITATIONS]) if i == 0 or h.score >= RUNNER_UP_RATIO * top]

    def _where_to_ask(self) -> str:
        """The hotlines to ask instead, said after every answer the contract cannot give."""
        s = self.settings
        return f"请拨打联通客服热线 {s.hotline} 咨询；沃云（云服务）相关问题可拨打 {s.cloud_hotline}。"

    def _out_of_scope(self) -> Answer:
        text = "这个问题不在《云专线产品入网协议》及其附件的约定范围内，我无法依据合同回答。" + self._where_to_ask()
        return Answer(intent=Intent.out_of_scope, answer=text, summary=f"不在本合同范围内，请拨打{self.settings.hotline}")

    def _not_stated(self, figure: str, r: Retrieval, query: str) -> Answer:
        """Out of scope because the contract gives no such figure ("具体时限"): what its closest clause does say, cited,
        and where to ask."""
        # The closest clause is shown only when it speaks of what the question is about, not merely ranks first.
        cited = [self._citation(r.hits[0].clause_id, query, r.expansions, r.hits[0].score)] if r.signals.coverage1 >= NOT_STATED_COVERAGE else []
        said = "".join(f"相关的约定见{self.clause(c.clause_id).name}：「{c.quote}」" for c in cited)
        return Answer(
            intent=Intent.out_of_scope,
            answer=f"合同没有写明{figure}。{said}" + self._where_to_ask(),
            citations=cited,
            summary=f"合同没有写明{figure}，请拨打{self.settings.hotline}",
        )

    def _not_in_contract(self, why: str, result: CalcResult, query: str, shown: bool = True) -> Answer:
        """Out of scope because the contract gives no such figure: what it does list, and where to ask; the
        calculation is attached when `shown` (its inputs are the person's own)."""
        s = self.settings
        return Answer(
            intent=Intent.out_of_scope,
            answer=f"{why}请拨打联通客服热线 {s.hotline} 咨询。",
            citations=self._citations(result.clause_ids, query),
            calculation=result if shown else None,
            summary=f"合同没有这个价格，请拨打{s.hotline}",
        )

    def _citation(self, clause_id: str, query: str, expansions: list[str], score: float) -> Citation:
        c = self.clause(clause_id)
        return Citation(
            clause_id=c.id,
            title=c.title,
            text=c.text,
            quote=best_quote(c.text, query, expansions),
            score=round(score, 6),
        )

    def _citations(self, clause_ids: list[str], query: str) -> list[Citation]:
        expansions = self.knowledge.expand(query)
        return [self._citation(cid, query, expansions, 1.0) for cid in clause_ids[:MAX_CITATIONS]]


def _states_nothing(plan: calc.CalcPlan | None, query: str) -> bool:
    """A calculation the question gives no input to ("开户费多少钱？含税吗"): every value would be a default, so it
    asks for a fact the contract states, and a clause answers it better than a calculation on defaults — unless
    it asks for a figure only the calculation gives ("开户费里面税多少")."""
    return plan is not None and not plan.inputs and plan.runnable and not calc.asks_derived(plan.name, query)


def _agrees(hits: list[Hit], readings: list[ambiguity.Reading]) -> bool:
    """Whether retrieval agrees that a question is about these readings at all ("专线设备弄丢了要赔吗" is about the
    equipment clause, not about the refunds the 赔 group offers): see AMBIGUITY_WINDOW and AMBIGUITY_LEAD."""
    theirs = {c for rd in readings for c in rd.clauses}
    ranked = [h for h in hits[:AMBIGUITY_WINDOW] if h.clause_id in theirs]
    if not ranked:
        return False
    return hits[0].clause_id in theirs or ranked[0].score > AMBIGUITY_LEAD * hits[0].score


def _asks_whether(plan: calc.CalcPlan | None, query: str, today: date) -> bool:
    """A calculation the question asks whether of, without the values its figure needs ("断了一整天 你们要负责吗",
    "被黑客打了 赔不赔"): a rule question, which a clause answers. Not when the values given decide it already
    ("网断了十个钟头能不能减钱": under 24 hours, nothing whatever the fee) — unless they are only the calculator's
    defaults ("开户费一百块是含税的吗" asks what the clause says of the fee, not its VAT split)."""
    if plan is None or not calc.asks_whether_only(plan.name, query, plan.inputs, today):
        return False
    outcome = _trial(plan)
    return (
        outcome is None
        or calc.only_defaults(plan.name, plan.inputs)
        # A figure the contract does not list ("1G的有吗") is said to be missing, which answers it.
        or (calc.weakly_named(plan.name, query, today, plan.inputs) and outcome.result is not None)
    )


def _waits(plan: calc.CalcPlan | None, query: str, today: date) -> bool:
    """A calculation that waits while a clause answers: the question asks whether of it (_asks_whether), or about
    what its result never covers ("断了半天 这个损失你们赔不赔": the losses, not the rent credit)."""
    return _asks_whether(plan, query, today) or (plan is not None and calc.goes_beyond(plan.name, query))


def _trial(plan: calc.CalcPlan) -> CalcResult | None:
    """The formula's result on the plan's inputs as they are, or None when it gives none (an input missing or bad)."""
    if not plan.runnable:
        return None
    try:
        return calc.run(plan.name, plan.inputs)
    except (InputNeeded, CalcInputError):
        return None


def _usable(plan: calc.CalcPlan | None, query: str, context: str) -> bool:
    """No plan, or one that states something and whose calculator's situation the question (with its context)
    speaks of: a suspension asked for ("能先暂停两个月吗") is no suspension for an unpaid bill."""
    return plan is None or (not _states_nothing(plan, query) and calc.applies(plan.name, f"{context} {query}"))


def _no_answer_to(plan: calc.CalcPlan | None, whether_of_result: bool) -> bool:
    """A plan whose calculation gives no verdict, for a message asking only whether of the last result."""
    return whether_of_result and plan is not None and not calc.gives_verdict(plan.name)


def _with_alone(r: Retrieval, alone: Retrieval) -> Retrieval:
    """The follow-up's retrieval with its hits re-ranked by the reciprocal ranks of both readings (see ALONE_WEIGHT);
    its signals stay those read with the context."""
    score: dict[str, float] = {}
    for res, weight in ((r, 1.0), (alone, ALONE_WEIGHT)):
        for i, h in enumerate(res.hits):
            score[h.clause_id] = score.get(h.clause_id, 0.0) + weight / (ALONE_RRF_K + i + 1)
    by_id = {h.clause_id: h for h in [*alone.hits, *r.hits]}
    order = sorted(score, key=lambda c: -score[c])[: len(r.hits)]
    return Retrieval(r.query, r.expansions, [by_id[c] for c in order], r.signals, r.query_vector)


def _ranks(r: Retrieval) -> dict[str, int]:
    """Clause id → 1-based rank in a retrieval's hits."""
    return {h.clause_id: i for i, h in enumerate(r.hits, 1)}


def _cites_law(signals) -> bool:
    """A law is named and the question asks where the contract mentions it, not what the law says."""
    return bool(signals.foreign_kinds.get("laws")) and signals.contract_ref and not signals.law_content


def _previous_question(state: SessionState, today: date) -> str:
    """The last question of the conversation that the contract covered, or '', without redaction placeholders;
    a reply that only gave a value ("１３号") is read with the question it answered."""
    said = _previous_questions(state, 2)
    try:
        joined = len(said) == 2 and calc.only_values(said[0], today)
    except CalcInputError:
        joined = False  # its impossible date ("这个月31号" in November) was explained when it was asked
    return f"{said[1]}，{said[0]}" if joined else next(iter(said), "")


def _previous_questions(state: SessionState, n: int = CONTEXT_TURNS) -> list[str]:
    """The conversation's last `n` questions the contract covered, most recent first, without redaction
    placeholders: the history is stored redacted, and a placeholder ([姓名], [地址]) says nothing about the
    contract — read as words, it would make a follow-up look less like a contract question."""
    said = (_PLACEHOLDERS.sub("", t.question) for t in reversed(state.history) if t.intent != Intent.out_of_scope.value)
    return list(itertools.islice(said, n))


# A placeholder goes with the label in front of it: "手机[手机号]" read as "手机" would name a phone plan.
_PLACEHOLDERS = re.compile(
    r"(?:手机号?码?|电话|座机|联系电话|回电|身份证号?码?|地址|邮箱|我叫|姓名|联系人)?\s*[:：]?\s*(?:"
    + "|".join(re.escape(p) for p in default_rules().placeholders.values())
    + ")"
)


__all__ = ["Assistant", "EncoderStats", "QuestionError"]
