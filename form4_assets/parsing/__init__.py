"""Pure parsing of Forms 3/4/5: bytes of one filing in, typed rows or a quarantine reason out."""
