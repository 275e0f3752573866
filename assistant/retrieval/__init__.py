"""Hybrid retrieval over the clauses: jieba BM25 and dense vectors in faiss, fused."""
