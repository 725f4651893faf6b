"""The vector memory of strategy-tree priors and style exemplars (Chroma, offline embeddings)."""
