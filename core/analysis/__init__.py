"""Understanding a graph: roles, inputs, candidate outputs, scope tree, search, details, summary."""
