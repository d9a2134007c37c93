// the citizen page (being written)
