"""Tables as such: delimited text, spreadsheets, Parquet, and finding the header row."""
