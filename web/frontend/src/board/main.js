// the board (/board): see web/api/board.py
