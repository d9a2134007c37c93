// the open-data page (being written)
