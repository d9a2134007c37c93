// the hotline page (being written)
