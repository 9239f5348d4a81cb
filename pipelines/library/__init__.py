"""The document library: storage, vector and keyword index, hybrid search and answers."""
