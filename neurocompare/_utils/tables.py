"""One reader for the CSV tables users bring (stimulus tables, ratings, trials, matrices)."""
from __future__ import annotations

import csv
from pathlib import Path

#: the separators a table may use, sniffed on its header line (spreadsheets in many locales save ";"-separated "CSV")
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_csv_table(path, *, what: str, dtype=None, **kwargs):
    """Read a user's CSV file as a DataFrame, tolerant of how spreadsheets save them.

    The delimiter is detected (comma, semicolon, tab, ...), a UTF-8 byte-order mark is
    dropped, and spaces after the delimiter and around the header names are dropped. A file that cannot be
    read raises a ValueError naming ``what`` and the file.

    Parameters
    ----------
    path : path-like
        The CSV file.
    what : str
        What the file should hold, for the messages (e.g. ``"The stimulus table"``).
    dtype : dict, optional
        Column types, by (stripped) header name; columns that are absent are ignored.
    **kwargs
        Passed to :func:`pandas.read_csv` (e.g. ``keep_default_na``, ``na_values``, ``index_col``).

    Returns
    -------
    pandas.DataFrame
        With ``attrs["separator"]``: the separator found on the header line.
    """
    import pandas as pd

    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            head = fh.read(64 * 1024)
        try:
            sep = csv.Sniffer().sniff(head.split("\n", 1)[0] or head, delimiters="".join(SEPARATORS)).delimiter
        except csv.Error:  # one column, or nothing to tell from
            sep = ","
        header = pd.read_csv(path, nrows=0, sep=sep, encoding="utf-8-sig").columns
        names = {c: str(c).strip() for c in header}
        types = {c: dtype[n] for c, n in names.items() if dtype and n in dtype}
        df = pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=types or None, skipinitialspace=True, **kwargs)
    except UnicodeDecodeError as err:
        raise ValueError(f"{what} {str(path)!r} is not a text CSV file in UTF-8 ({err.reason} at byte "
                         f"{err.start}); save it as 'CSV UTF-8' or pass a DataFrame.") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"{what} {str(path)!r} is empty; expected a header row and one row per entry.") from None
    except (pd.errors.ParserError, csv.Error) as err:
        raise ValueError(f"{what} {str(path)!r} could not be read as CSV: {err}.") from None
    except IsADirectoryError:
        raise ValueError(f"{what} {str(path)!r} is a folder; expected a CSV file.") from None
    df = df.rename(columns=lambda c: str(c).strip())
    df.attrs["separator"] = sep
    return df
