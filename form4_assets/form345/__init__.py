"""The SEC's quarterly Form 345 data sets (`YYYYqN_form345.zip`) as a bulk source.

Pure library code: `dataset` opens a data set (a .zip or a directory) and yields each
table's records with their line numbers, read by header name; `values` converts between
the SEC's spellings (DD-MON-YYYY, `F1, F2`, flags as filed) and the warehouse's values;
`rows` turns records into `sec_*` warehouse rows or rejected-row records with a reason.
"""
