"""The contract as clauses: parsing, ids, names and the data kept beside them."""
