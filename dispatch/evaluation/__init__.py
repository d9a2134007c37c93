"""Evaluation (考评): indicators counted from the case events as of a period's end, scored by a versioned
scheme, with rectification items (整改) for poor results. See README "Evaluation" for every formula."""
