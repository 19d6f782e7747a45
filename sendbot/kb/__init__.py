"""The knowledge base: loading, rendering and retrieval."""
